"""The insurer staff console, served by the API app under /console."""
