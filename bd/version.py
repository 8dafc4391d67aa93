"""The version bd reports: the original release whose CLI and data format it matches."""

VERSION = "0.46.0"
