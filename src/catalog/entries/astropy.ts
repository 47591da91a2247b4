import { defineEntry, env, home, xdgCache, xdgConfig } from "../define.js";

/**
 * astropy's download cache (`download_file(..., cache=True)`, IERS tables, …) sits in its cache directory:
 * - astropy ≥ 8.0: ASTROPY_CACHE_DIR (must exist, absolute) > $XDG_CACHE_HOME/astropy (if XDG_CACHE_HOME
 *   exists) > ~/.cache/astropy. Config likewise: ASTROPY_CONFIG_DIR > $XDG_CONFIG_HOME/astropy > ~/.config/astropy.
 *   Source: astropy/astropy `astropy/config/paths.py` (`_DirectoryFinder`, `get_cache_dir_path`), 8.0 line.
 * - astropy < 8.0: `$XDG_CACHE_HOME/astropy` when that folder exists, else ~/.astropy/cache (config:
 *   ~/.astropy/config); no ASTROPY_* variable.
 *   Source: astropy/astropy `astropy/config/paths.py` `get_cache_dir` @ 01f512a3d2d738f69c38a696a51af6cc672e98c3.
 * The image sets both ASTROPY_CACHE_DIR and XDG_CACHE_HOME={parent}, so {parent}/astropy is found by every version.
 */
export default defineEntry({
  id: "astropy",
  library: "astropy",
  related: ["astroquery", "sunpy"],
  locations: [
    {
      key: "cache",
      candidates: [env("ASTROPY_CACHE_DIR"), xdgCache("astropy")],
      target: "astropy",
      env: { ASTROPY_CACHE_DIR: "{dir}", XDG_CACHE_HOME: "{parent}" },
    },
    {
      key: "legacy-cache",
      candidates: [home(".astropy/cache")],
      target: "astropy",
      env: { ASTROPY_CACHE_DIR: "{dir}", XDG_CACHE_HOME: "{parent}" },
    },
    {
      key: "config",
      role: "noise",
      reason: "astropy configuration written by astropy itself (defaults); settings belong in code",
      candidates: [env("ASTROPY_CONFIG_DIR"), xdgConfig("astropy")],
    },
    {
      key: "legacy-config",
      role: "noise",
      reason: "astropy configuration written by astropy itself (defaults); settings belong in code",
      candidates: [home(".astropy/config")],
    },
  ],
  notes: [
    "astropy.utils.iers downloads fresh IERS-A tables when the cached ones are older than auto_max_age (30 days): set astropy.utils.iers.conf.auto_download = False in the function so it uses the bundled or baked tables offline.",
    "The image also sets XDG_CACHE_HOME to the folder above {dir}, so other XDG-based libraries look (read-only) there too.",
  ],
});
