"""lettergen: personalised letters to many officials from one template and a recipient list."""

from lettergen.errors import LettergenError

__all__ = ["LettergenError"]
