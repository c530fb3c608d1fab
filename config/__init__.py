"""Configuration: settings from the environment, city profiles and feed/alert definitions from YAML."""
