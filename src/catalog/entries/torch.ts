import { defineEntry, env, xdgCache } from "../define.js";

/**
 * torch.hub and everything using `load_state_dict_from_url` (torchvision weights, timm URL weights):
 * TORCH_HOME > $XDG_CACHE_HOME/torch > ~/.cache/torch; hub files under `hub/` (`torch/hub.py`).
 * TORCH_HUB and TORCH_MODEL_ZOO are deprecated and only warn, so they are not candidates.
 */
export default defineEntry({
  id: "torch",
  library: "torch.hub",
  related: ["torchvision", "timm (URL weights)", "pytorch-lightning"],
  locations: [
    {
      key: "home",
      candidates: [env("TORCH_HOME", { expand: "user" }), xdgCache("torch")],
      target: "torch",
      env: { TORCH_HOME: "{dir}" },
    },
  ],
  notes: [
    "torch.hub.load('owner/repo', ...) touches hub/trusted_list and asks github.com for the default branch: load with torch.hub.load('{dir}/hub/<owner>_<repo>_<ref>', model, source='local').",
    "Legacy single-file zip checkpoints are extracted into hub/checkpoints on every load and fail on a read-only filesystem: re-save them as plain .pth files.",
    "timm.create_model runs makedirs(hub/checkpoints) on every URL load; harmless as long as that directory is packaged.",
  ],
});
