"""The keyword components of PciRaceLibrary, one class per topic."""

from .checks import CheckKeywords
from .cluster import ClusterKeywords
from .delays import DelayKeywords
from .explore import ExploreKeywords
from .moves import MoveKeywords
from .nova_checks import NovaCheckKeywords
from .numa import NUMAKeywords
from .pci_checks import PciCheckKeywords
from .periodics import PeriodicKeywords
from .ports import PortKeywords
from .report import ReportKeywords
from .servers import ServerKeywords
from .shelve import ShelveKeywords

__all__ = [
    "CheckKeywords",
    "ClusterKeywords",
    "DelayKeywords",
    "ExploreKeywords",
    "MoveKeywords",
    "NUMAKeywords",
    "NovaCheckKeywords",
    "PciCheckKeywords",
    "PeriodicKeywords",
    "PortKeywords",
    "ReportKeywords",
    "ServerKeywords",
    "ShelveKeywords",
]
