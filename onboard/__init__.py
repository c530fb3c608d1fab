"""Onboarding a city: its own GIS files and spreadsheets into a profile (`python -m onboard --help`)."""
