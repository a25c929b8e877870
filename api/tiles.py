"""The map's optional tile layer: a directory of ``z/x/y.png`` tiles served by govnet, or a tile
server's URL template that the page's CSP then allows images from.

Tiles are Web Mercator (the XYZ scheme of OpenStreetMap and most tile servers), the projection the
console's map draws in, so they line up with the sites. A directory keeps the console offline
(tiles rendered beforehand for the province); a URL sends the browser to that server for images
only (``img-src``), nothing else.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from govnet.errors import GovnetError

PLACES = ("{z}", "{x}", "{y}")


@dataclass(frozen=True)
class Tiles:
    """Where tiles come from: ``directory`` (served at ``/api/v1/map/tiles``) or ``template``."""

    directory: Path | None = None
    template: str | None = None

    @classmethod
    def parse(cls, source: str) -> Tiles:
        """``--tiles``: an existing directory, or an http(s) URL holding ``{z}``, ``{x}`` and ``{y}``.

        >>> Tiles.parse("https://tiles.example/osm/{z}/{x}/{y}.png").origin
        'https://tiles.example'
        >>> Tiles.parse("ftp://x/{z}/{x}/{y}")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        govnet.errors.GovnetError: ...
        """
        if "://" not in source:
            path = Path(source)
            if not path.is_dir():
                raise GovnetError(
                    f"--tiles {source}: no such directory",
                    hint="give a directory of z/x/y.png tiles, or an https://.../{z}/{x}/{y}.png URL",
                )
            return cls(directory=path.resolve())
        url = urllib.parse.urlsplit(source)
        bad = url.scheme not in {"http", "https"} or not url.hostname or url.username or url.password
        if (
            bad
            or url.fragment
            or not all(p in source for p in PLACES)
            or any(c in source for c in "\"'<> \\")
        ):
            raise GovnetError(
                f"--tiles {source[:80]!r} is not a tile URL template",
                hint="an http(s) URL without credentials holding {z}, {x} and {y}, "
                "e.g. https://tiles.example/{z}/{x}/{y}.png",
            )
        return cls(template=source)

    @property
    def origin(self) -> str | None:
        """The tile server's origin, for the page's ``img-src`` (None for a directory)."""
        if self.template is None:
            return None
        url = urllib.parse.urlsplit(self.template)
        return f"{url.scheme}://{url.netloc}"

    def url(self, prefix: str) -> str:
        """The template the page fills in."""
        return self.template if self.template is not None else f"{prefix}/map/tiles/{{z}}/{{x}}/{{y}}.png"

    def file(self, z: int, x: int, y: int) -> Path | None:
        """A tile of the directory, if it has it."""
        if self.directory is None:
            return None
        path = self.directory / str(z) / str(x) / f"{y}.png"
        return path if path.is_file() else None
