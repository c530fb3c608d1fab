"""Thin @dash.callback wrappers around pure view functions."""
