package dev.quiver.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * A plain-text table: a header row, columns padded to their widest cell, two spaces apart, numbers
 * right-aligned. No borders, so the output stays easy to {@code grep}, {@code cut} and {@code awk}.
 */
final class Table {
  private final List<String[]> rows = new ArrayList<>();
  private final boolean[] right;

  Table(String... headers) {
    rows.add(headers);
    right = new boolean[headers.length];
  }

  /** Right-aligns the given columns (counts, sizes). */
  Table alignRight(int... columns) {
    for (int c : columns) {
      right[c] = true;
    }
    return this;
  }

  Table add(String... cells) {
    if (cells.length != right.length) {
      throw new IllegalArgumentException("a row of " + cells.length + " cells in a table of " + right.length);
    }
    rows.add(cells);
    return this;
  }

  void print(PrintStream out) {
    int[] widths = new int[right.length];
    for (String[] row : rows) {
      for (int c = 0; c < row.length; c++) {
        widths[c] = Math.max(widths[c], row[c].length());
      }
    }
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int c = 0; c < row.length; c++) {
        if (c > 0) {
          line.append("  ");
        }
        String pad = " ".repeat(widths[c] - row[c].length());
        boolean last = c == row.length - 1;
        if (right[c]) {
          line.append(pad).append(row[c]);
        } else {
          line.append(row[c]).append(last ? "" : pad); // no trailing blanks
        }
      }
      out.println(line);
    }
  }
}
