"""The words of a notification, in Vietnamese (the default) or English.

A message says what broke, the blast radius (agencies with gold ones first, BTS sites, hotspots),
since when, and links to the NOC page. Names come from the inventory, which is outside input:
they are cut to one printable line (:func:`govnet.inventory.text.shown`) and every channel sends
plain text (no HTML, no Markdown parse mode), so a name never becomes markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from govnet.inventory.text import shown
from govnet.monitor.notify.events import Event

#: The longest list of names a message spells out; the rest is counted.
MAX_NAMES = 10

_WORDS: dict[str, dict[str, str]] = {
    "vi": {
        "incident.opened": "SỰ CỐ",
        "incident.updated": "CẬP NHẬT SỰ CỐ",
        "incident.closed": "ĐÃ KHÔI PHỤC",
        "incident.reminder": "NHẮC LẠI (chưa xác nhận)",
        "incident.escalated": "LEO THANG (chưa xác nhận)",
        "endpoint.down": "MẤT KẾT NỐI",
        "endpoint.up": "ĐÃ KẾT NỐI LẠI",
        "test": "THỬ NGHIỆM",
        "link": "đứt liên kết",
        "node": "thiết bị không phản hồi",
        "duct": "đứt tuyến cáp (ống)",
        "minor": "thấp",
        "major": "cao",
        "critical": "nghiêm trọng",
        "severity": "Mức độ",
        "since": "Từ lúc",
        "until": "Đến lúc",
        "lasted": "Thời gian gián đoạn",
        "radius": "Phạm vi ảnh hưởng",
        "none": "không có điểm nào mất kết nối (có đường dự phòng)",
        "agencies": "cơ quan",
        "bts_sites": "trạm BTS",
        "hotspots": "điểm WiFi",
        "cut_off": "Thiết bị mất kết nối",
        "also": "Cũng có thể do",
        "ack": "Đã xác nhận bởi",
        "noc": "Xem trên NOC",
        "more": "và {n} nơi khác",
        "test_text": "Tin nhắn thử nghiệm từ govnet qua kênh '{channel}'.",
        "ep_agency": "Cơ quan",
        "ep_bts": "Trạm BTS",
        "ep_wifi": "Điểm WiFi",
        "district": "Huyện/khu vực",
        "commune": "Xã/phường",
        "flapping": "Liên kết chập chờn (lên xuống liên tục)",
    },
    "en": {
        "incident.opened": "INCIDENT",
        "incident.updated": "INCIDENT UPDATE",
        "incident.closed": "RESOLVED",
        "incident.reminder": "REMINDER (not acknowledged)",
        "incident.escalated": "ESCALATION (not acknowledged)",
        "endpoint.down": "DISCONNECTED",
        "endpoint.up": "RECONNECTED",
        "test": "TEST",
        "link": "link down",
        "node": "device not answering",
        "duct": "duct cut",
        "minor": "minor",
        "major": "major",
        "critical": "critical",
        "severity": "Severity",
        "since": "Since",
        "until": "Until",
        "lasted": "Outage lasted",
        "radius": "Blast radius",
        "none": "nothing lost its path to the core (redundancy held)",
        "agencies": "agencies",
        "bts_sites": "BTS sites",
        "hotspots": "hotspots",
        "cut_off": "Devices cut off",
        "also": "Could also be",
        "ack": "Acknowledged by",
        "noc": "On the NOC page",
        "more": "and {n} more",
        "test_text": "A test message from govnet through the channel '{channel}'.",
        "ep_agency": "Agency",
        "ep_bts": "BTS site",
        "ep_wifi": "Hotspot",
        "district": "District",
        "commune": "Commune",
        "flapping": "The link is flapping",
    },
}


@dataclass(frozen=True)
class Message:
    """A subject line and a plain-text body."""

    subject: str
    text: str


def _when(at: float | None, zone: ZoneInfo) -> str:
    if at is None:
        return "-"
    return datetime.fromtimestamp(at, zone).strftime("%Y-%m-%d %H:%M:%S %Z")


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"


def _names(items: list[dict[str, Any]], words: dict[str, str]) -> str:
    names = [
        shown(i.get("name"), 80) + (" (gold)" if i.get("service_level") == "gold" else "") for i in items
    ]
    text = ", ".join(names[:MAX_NAMES])
    if len(names) > MAX_NAMES:
        text += " " + words["more"].format(n=len(names) - MAX_NAMES)
    return text


def render(event: Event, language: str, zone: ZoneInfo) -> Message:
    """The message for ``event`` in ``language`` (``vi`` or ``en``), times in ``zone``."""
    words = _WORDS.get(language, _WORDS["vi"])
    head = words[event.type]
    if event.kind == "incident":
        return _incident(event, words, head, zone)
    if event.kind == "endpoint":
        ep = event.data["endpoint"]
        what = f"{words['ep_' + str(ep['kind'])]} {shown(ep['name'], 80)}"
        lines = [f"{head}: {what}", f"{words['since']}: {_when(event.at, zone)}"]
        if ep.get("district"):
            lines.append(f"{words['district']}: {shown(ep['district'], 80)}")
        if ep.get("commune"):
            lines.append(f"{words['commune']}: {shown(ep['commune'], 80)}")
        if event.data.get("noc_url"):
            lines.append(f"{words['noc']}: {event.data['noc_url']}")
        return Message(f"[govnet] {head}: {what}", "\n".join(lines))
    channel = shown(event.data["test"]["channel"], 64)
    text = words["test_text"].format(channel=channel) + f"\n{_when(event.at, zone)}"
    if event.data.get("noc_url"):
        text += f"\n{words['noc']}: {event.data['noc_url']}"
    return Message(f"[govnet] {head}: {channel}", text)


def _incident(event: Event, words: dict[str, str], head: str, zone: ZoneInfo) -> Message:
    inc = event.data["incident"]
    what = f"{words[str(inc['kind'])]} {shown(inc['root_cause'], 80)}"
    subject = f"[govnet] {head} #{inc['id']}: {what}"
    lines = [f"{head} #{inc['id']}: {what}", f"{words['severity']}: {words[event.severity]}"]
    lines.append(f"{words['since']}: {_when(event.since, zone)}")
    if event.type == "incident.closed" and inc.get("closed") and event.since is not None:
        lines.append(f"{words['until']}: {_when(event.at, zone)}")
        lines.append(f"{words['lasted']}: {_duration(event.at - event.since)}")
    radius = inc["blast_radius"]
    endpoints: list[dict[str, Any]] = radius["endpoints"]
    if endpoints:
        counts = ", ".join(
            f"{radius[k]} {words[k]}" for k in ("agencies", "bts_sites", "hotspots") if radius[k]
        )
        lines.append(f"{words['radius']}: {counts}")
        for kind, label in (("agency", "agencies"), ("bts", "bts_sites"), ("wifi", "hotspots")):
            group = [e for e in endpoints if e.get("kind") == kind]
            if group:
                lines.append(f"  - {words[label]}: {_names(group, words)}")
    else:
        lines.append(f"{words['radius']}: {words['none']}")
    if inc.get("devices_cut_off"):
        cut = [{"name": d} for d in inc["devices_cut_off"]]
        lines.append(f"{words['cut_off']}: {_names(cut, words)}")
    if inc.get("also_possible"):
        lines.append(f"{words['also']}: {_names([{'name': d} for d in inc['also_possible']], words)}")
    if inc.get("flapping"):
        lines.append(words["flapping"])
    if inc.get("acknowledged_by"):
        lines.append(f"{words['ack']}: {shown(inc['acknowledged_by'], 64)}")
    if event.data.get("noc_url"):
        lines.append(f"{words['noc']}: {event.data['noc_url']}")
    return Message(subject, "\n".join(lines))
