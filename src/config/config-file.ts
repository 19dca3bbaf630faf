// The project config file's name, on its own: the CLI names it in `--help` text without loading the
// config reader (and zod with it) on every start (bench/README.md, "CLI start-up").
export const CONFIG_FILE = 'nightshift.config.yaml';
