"""``--combine``: one more document holding every letter of the run, each on new pages."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from lettergen import safeio
from lettergen.errors import OutputError, UsageError
from lettergen.writers.word import DocxWriter
from lettergen.writers.zipwriter import Archive

if TYPE_CHECKING:
    from lettergen.merge.letter import Letter

# Where a combined document ends one letter's section (see CombinedDocument).
SECTION = "\x00"


def check_combine_target(target: Path, *, force: bool, kind: str = "document") -> None:
    """Refuse ``--combine target`` before anything is written: a name that is no ``.docx``,
    or a combined ``kind`` (document, PDF) that exists while ``force`` is not given."""
    if kind == "document" and target.suffix.lower() != ".docx":
        raise UsageError(f"--combine: '{target}' must be a .docx file name")
    if target.exists() and not force:
        raise OutputError(
            f"the combined {kind} already exists; use --force to overwrite it", path=target
        )


def combine_writer(
    writers: Sequence[object],
    target: Path,
    *,
    force: bool,
    meta: Mapping[str, Any],
    source: Path | None,
    letterhead: Path | None = None,
    signature: str | Path | None = None,
) -> DocxWriter:
    """Return the writer for ``--combine target``: the run's DOCX writer, or a new one.

    Raises an error when ``target`` is no ``.docx`` name, or exists and ``force`` is not given.
    """
    check_combine_target(target, force=force)
    for writer in writers:
        if isinstance(writer, DocxWriter):
            return writer
    return DocxWriter.for_template(meta, source, letterhead=letterhead, signature=signature)


class CombinedDocument:
    """One ``.docx`` holding many letters, each in its own section (so on its own pages).

    Letters are streamed into a temporary file, renamed into place by :meth:`close`; each
    section repeats the letterhead's page setup, header and footer and restarts page numbers.
    """

    def __init__(self, writer: DocxWriter, target: Path) -> None:
        self.writer = writer
        self._open(target, writer.archive, writer.document_name, writer.letterhead.combined_before)

    def _open(self, target: Path, archive: Archive, document: str, before: str) -> None:
        """Prepare to stream ``document`` of ``archive`` into a temporary file beside ``target``.

        The file is made on the first :meth:`add`: until then :meth:`body` may be asked for
        (in a run's first pass) without anything being written.
        """
        self.target = target
        self.temporary: Path | None = None
        self.pending: str | None = None
        self.handle: BinaryIO | None = None
        self._start = (archive, document, before)

    def _begin(self) -> None:
        archive, document, before = self._start
        try:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            # A new file under a name nobody can guess, never through a link (see safeio).
            fd, temporary = safeio.create_temporary(os.fspath(self.target))
            self.temporary = Path(temporary)
            self.handle = open(fd, "wb")  # noqa: SIM115 - closed by close/abort
            self.member = archive.stream(self.handle, document)
            self.member.write(before.encode("utf-8"))
        except OSError as exc:
            self.abort()
            raise OutputError(f"cannot write: {exc.strerror}", path=self.target) from None

    def body(self, letter: Letter, number: int) -> str:
        """Return the body XML of ``letter``, the ``number``-th of the document, for :meth:`add`."""
        return self.writer.body(letter, drawing_id=number, section=SECTION)

    def add(self, body: str) -> None:
        """Append one letter's body (from :meth:`body`) after the letters added so far."""
        if self.handle is None:
            self._begin()
        # A letter's section ends in its last paragraph, whose properties wait for the next one.
        if self.pending is not None:
            self._write(self._with_break(self.pending))
        self.pending = body

    def _with_break(self, body: str) -> str:
        """Return a letter's body ending with the section break that starts a new page."""
        return body.replace(SECTION, self.writer.letterhead.section)

    def _ending(self) -> str:
        """Return the XML after the last letter: its body, then the document's end."""
        last = self.pending.replace(SECTION, "") if self.pending is not None else "<w:p/>"
        return last + self.writer.letterhead.combined_after

    def _write(self, xml: str) -> None:
        try:
            self.member.write(xml.encode("utf-8"))
        except OSError as exc:
            raise OutputError(f"cannot write: {exc.strerror}", path=self.target) from None

    def close(self) -> None:
        """Finish the document and put it in place."""
        if self.handle is None:
            self._begin()
        assert self.handle is not None and self.temporary is not None
        self._write(self._ending())
        try:
            self.member.close()
            self.handle.close()
            os.replace(self.temporary, self.target)
        except OSError as exc:
            self.abort()
            raise OutputError(f"cannot write: {exc.strerror}", path=self.target) from None

    def abort(self) -> None:
        """Drop the unfinished document."""
        if self.handle is not None:
            self.handle.close()
            self.handle = None
            if self.temporary is not None:
                self.temporary.unlink(missing_ok=True)
