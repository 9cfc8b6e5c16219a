"""Tests of the real-kernel boot harness.

A package, so that its conftest does not shadow tests/conftest.py (`from conftest import`).
"""
