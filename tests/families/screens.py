"""Screenshots of a photo inside a phone app (a chat or a viewer, light or dark theme)."""

from __future__ import annotations

from PIL import Image, ImageDraw

from tests.families.edits import WORDS, Box, Made, Rng, area_share, load_font, random_colour

# -- screenshots ----------------------------------------------------------------------------

_SCREEN = (1080, 2340)  # a phone's screen, in its own pixels
_THEMES = {
    "light": {"bg": (239, 234, 226), "bar": (246, 246, 246), "out": (217, 253, 211),
              "in": (255, 255, 255), "ink": (17, 27, 33), "dim": (102, 119, 129)},
    "dark": {"bg": (11, 20, 26), "bar": (31, 44, 51), "out": (0, 92, 75),
             "in": (32, 44, 51), "ink": (233, 237, 239), "dim": (134, 150, 160)},
}  # fmt: skip
Colour = str | tuple[int, int, int]


class _Screen:
    """A screenshot being drawn: coordinates in the phone's pixels, ``u`` picture pixels each."""

    def __init__(self, u: float, theme: dict, background: Colour) -> None:
        self.u, self.theme = u, theme
        size = (round(_SCREEN[0] * u), round(_SCREEN[1] * u))
        self.canvas = Image.new("RGB", size, self.colour(background))
        self.draw = ImageDraw.Draw(self.canvas)

    def colour(self, colour: Colour) -> tuple[int, int, int]:
        return self.theme[colour] if isinstance(colour, str) else colour

    def text(self, at: tuple[float, float], text: str, size: int, colour: Colour = "ink",
             anchor: str = "lm") -> None:  # fmt: skip
        xy, fill = (at[0] * self.u, at[1] * self.u), self.colour(colour)
        self.draw.text(xy, text, fill=fill, font=load_font(int(size * self.u)), anchor=anchor)

    def shape(self, box: tuple[float, ...], colour: Colour, *, round_: float = 0,
              line: float = 0, ellipse: bool = False) -> None:  # fmt: skip
        """A filled shape, or only its outline ``line`` wide."""
        xy = tuple(v * self.u for v in box)
        paint = (
            {"outline": self.colour(colour), "width": max(1, int(line * self.u))}
            if line
            else {"fill": self.colour(colour)}
        )
        if ellipse:
            self.draw.ellipse(xy, **paint)
        else:
            self.draw.rounded_rectangle(xy, radius=round_ * self.u, **paint)

    def photo(self, src: Image.Image, at: tuple[float, float], size: tuple[int, int]) -> Box:
        """Paste ``src`` at ``size`` picture pixels; returns its box in picture pixels."""
        x0, y0 = round(at[0] * self.u), round(at[1] * self.u)
        self.canvas.paste(src.resize(size, Image.LANCZOS), (x0, y0))
        return (x0, y0, x0 + size[0], y0 + size[1])


def _fit(photo: tuple[int, int], width: float, height: float) -> tuple[int, int]:
    scale = min(width / photo[0], height / photo[1])
    return max(1, int(photo[0] * scale)), max(1, int(photo[1] * scale))


def _chat_frame(screen: _Screen, rng: Rng) -> None:
    """A messaging app's status bar, header (back, avatar, name, icons) and input bar."""
    w, h = _SCREEN
    screen.shape((0, 0, w, 220), "bar")
    screen.text((40, 38), f"{int(rng.integers(7, 23))}:{int(rng.integers(0, 60)):02d}", 36)
    screen.shape((w - 110, 24, w - 40, 52), "ink", round_=6, line=3)
    screen.shape((w - 104, 30, w - 60, 46), "ink")
    screen.text((40, 150), "<", 60)
    screen.shape((100, 105, 190, 195), random_colour(rng), ellipse=True)
    screen.text((215, 135), str(rng.choice(["Mum", "Alex", "Family", "Sam K.", "Crew"])), 42)
    screen.text((215, 180), "online", 28, "dim")
    for k in range(3):
        screen.shape((w - 90 - 90 * k, 130, w - 50 - 90 * k, 170), "ink", line=3, ellipse=True)
    screen.shape((24, h - 125, w - 150, h - 25), "in", round_=50)
    screen.text((80, h - 75), "Message", 34, "dim")
    screen.shape((w - 125, h - 125, w - 25, h - 25), (0, 168, 132), ellipse=True)


def _chat(screen: _Screen, src: Image.Image, rng: Rng) -> Box:
    """A chat: earlier text bubbles, then the photo in a bubble 60-80% of the screen wide with
    a caption and a time."""
    _chat_frame(screen, rng)
    (w, h), u, pad, cap = _SCREEN, screen.u, 10, 70
    size = _fit(src.size, (rng.uniform(0.6, 0.8) * w - 2 * pad) * u, 0.5 * h * u)
    pw, ph = size[0] / u, size[1] / u
    sent = bool(rng.random() < 0.5)
    x0 = w - 24 - pw - 2 * pad if sent else 24
    room = (h - 150) - 220 - ph - 2 * pad - cap - 30
    y0 = 240 + int(rng.integers(0, max(1, int(room))))
    for y in range(250, int(y0) - 110, 120):  # earlier messages
        bw = rng.uniform(0.3, 0.7) * w
        bx = w - bw - 24 if rng.random() < 0.5 else 24
        screen.shape((bx, y, bx + bw, y + 90), "in", round_=20)
        screen.text((bx + 24, y + 45), str(rng.choice(WORDS)), 32)
    bubble = (x0, y0, x0 + pw + 2 * pad, y0 + ph + 2 * pad + cap)
    screen.shape(bubble, "out" if sent else "in", round_=18)
    box = screen.photo(src, (x0 + pad, y0 + pad), size)
    screen.text((x0 + 2 * pad, y0 + pad + ph + cap / 2), str(rng.choice(WORDS)), 32)
    screen.text((bubble[2] - 2 * pad, y0 + pad + ph + cap / 2), "12:41", 24, "dim", "rm")
    return box


def _viewer(screen: _Screen, src: Image.Image, rng: Rng) -> Box:
    """A gallery's full-screen view: the photo fitted between a top bar and a toolbar."""
    (w, h), u = _SCREEN, screen.u
    screen.text((40, 38), "9:41", 36)
    screen.text((40, 150), "<", 60)
    screen.text((110, 150), f"{int(rng.integers(1, 29))} May 2023", 38)
    size = _fit(src.size, w * u, (h - 460) * u)
    at = ((w - size[0] / u) / 2, 230 + (h - 460 - size[1] / u) / 2)
    box = screen.photo(src, at, size)
    for k, label in enumerate(("Share", "Edit", "Like", "Delete")):
        cx = w * (k + 0.5) / 4
        screen.shape((cx - 30, h - 190, cx + 30, h - 130), "ink", line=4, ellipse=True)
        screen.text((cx, h - 90), label, 28, anchor="mm")
    return box


def screenshot(src: Image.Image, rng: Rng) -> Made:
    """A phone screenshot showing the photo: a 1080x2340 screen at 45-60% scale, light or dark,
    either a messaging app (2 in 3: the photo in a bubble 60-80% of the screen wide, with a
    status bar, a header, earlier messages, a caption and the input bar) or a gallery viewer
    (the photo fitted between bars). Saved as PNG; ``box`` is where the photo is."""
    u = float(rng.uniform(0.45, 0.6))
    theme, style = str(rng.choice(["light", "dark"])), str(rng.choice(["chat", "chat", "viewer"]))
    plain = (0, 0, 0) if theme == "dark" else (255, 255, 255)
    screen = _Screen(u, _THEMES[theme], "bg" if style == "chat" else plain)
    box = (_chat if style == "chat" else _viewer)(screen, src, rng)
    share = round(area_share(box, screen.canvas.size), 4)
    params = {
        "scale": round(u, 3),
        "theme": theme,
        "style": style,
        "box": box,
        "photo_share": share,
    }
    return Made(screen.canvas, "PNG", {"compress_level": 6}, params)
