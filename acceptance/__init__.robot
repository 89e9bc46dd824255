*** Settings ***
Documentation    Acceptance suites of PciRaceLibrary: Nova's PCI accounting races,
...              reproduced in virtual time on the in-process fake compute cluster.
...
...              Each suite starts its own clusters, so pabot may split the run
...              any way it likes.

Test Tags        pci
