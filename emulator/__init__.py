"""A stateful emulator of telecom phone-number APIs: Yay.com, Telcom, CloudLX and CM.com."""

__version__ = "0.1.0"
