"""Images, videos and masks on this machine: probing, decoding and encoding (``codec.py``),
masks and their previews, and the sample media the tutorials and the emulator use."""
