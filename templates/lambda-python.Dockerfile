{{header}}

# The asset image: a FROM-scratch image holding only the baked caches under {{assetRoot}}.
{{assetStage}}

FROM {{base}}

{{wrapper}}

# Assets first: they change only when mlpack.lock.json does, so dependency and code edits never
# rebuild or re-upload these layers.
{{assets}}

# --storage efs|s3: the assets live outside the image.
{{storage}}

# Where each library finds its baked cache, offline switches, and /tmp for everything that must write
# (Lambda's filesystem is read-only except /tmp, and its HOME is not writable).
{{env}}

{{labels}}

{{dependencies}}

{{code}}

{{entrypoint}}
{{cmd}}
