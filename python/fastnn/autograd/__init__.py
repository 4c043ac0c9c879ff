"""Autograd: the engine (engine.py) and one module per family of differentiable ops."""
