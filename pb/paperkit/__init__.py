"""The paper kit: printable ballot sheets and the results protocol, as PDF (WeasyPrint)."""
