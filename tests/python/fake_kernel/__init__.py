"""A pyzmq fake kernel and the fixtures that install it; see fake_kernel.py."""
