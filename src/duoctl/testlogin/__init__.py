"""``duoctl test-login``: a real Duo Universal Prompt round trip from a terminal."""
