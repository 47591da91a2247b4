{{header}}

# The asset image: a FROM-scratch image holding only the baked caches under {{assetRoot}}.
{{assetStage}}

FROM {{base}}

{{wrapper}}

# Assets first: they change only when mlpack.lock.json does, so dependency and code edits never
# rebuild these layers.
{{assets}}

# --storage efs|s3: the assets live outside the image.
{{storage}}

# Where each library finds its baked cache, plus the offline switches.
{{env}}

{{labels}}

{{dependencies}}

{{code}}

{{entrypoint}}
{{cmd}}
