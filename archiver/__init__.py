"""Journal archiver: the legally required archive of a Russian school's electronic class journals."""

__version__ = "0.1.0"
