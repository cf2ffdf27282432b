"""duoctl: configure and test Duo Security MFA for a privileged-access platform."""

__version__ = "0.1.0"
