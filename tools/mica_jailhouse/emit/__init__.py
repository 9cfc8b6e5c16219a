"""Emitters: one per artifact; they format the model, they do not compute."""
