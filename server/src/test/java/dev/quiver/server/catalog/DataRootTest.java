package dev.quiver.server.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.protocol.DatasetName;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataRootTest {
  /** The first bytes of an Arrow file and of an Arrow stream; enough for DataRoot, which only sniffs. */
  private static final byte[] FILE_MAGIC = "ARROW1\0\0 rest of an arrow file".getBytes(StandardCharsets.ISO_8859_1);
  private static final byte[] STREAM_START = {-1, -1, -1, -1, 16, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8};
  private static final byte[] NOT_ARROW = "just some text\n".getBytes(StandardCharsets.UTF_8);

  @TempDir Path base;
  private Path rootDir;
  private Path outside;
  private DataRoot root;

  @BeforeEach
  void setUp() throws IOException {
    rootDir = Files.createDirectories(base.resolve("root"));
    outside = Files.createDirectories(base.resolve("outside"));
    root = DataRoot.open(rootDir);
  }

  private Path put(String relative, byte[] content) throws IOException {
    Path path = rootDir.resolve(relative);
    Files.createDirectories(path.getParent());
    return Files.write(path, content);
  }

  private static DatasetName name(String text) {
    return DatasetName.parse(text);
  }

  private Optional<Path> locate(String text) {
    return root.locate(name(text));
  }

  private Map<String, Path> scan() throws IOException {
    Map<String, Path> out = new TreeMap<>();
    root.scan().forEach((k, v) -> out.put(k.toString(), v));
    return out;
  }

  private Path real(Path p) throws IOException {
    return p.toRealPath();
  }

  @Test
  void openResolvesTheRealDirectory() throws IOException {
    Path link = Files.createSymbolicLink(base.resolve("link-to-root"), rootDir);
    assertThat(DataRoot.open(link).path()).isEqualTo(rootDir.toRealPath());
    assertThatThrownBy(() -> DataRoot.open(base.resolve("nope"))).isInstanceOf(NoSuchFileException.class);
    Path file = Files.write(base.resolve("plain-file"), NOT_ARROW);
    assertThatThrownBy(() -> DataRoot.open(file)).isInstanceOf(NotDirectoryException.class);
  }

  @Test
  void extensionsArePreferredInOrder() throws IOException {
    put("a.arrows", STREAM_START);
    assertThat(locate("a")).hasValueSatisfying(p -> assertThat(p.getFileName()).hasToString("a.arrows"));
    put("a.ipc", FILE_MAGIC);
    assertThat(locate("a")).hasValueSatisfying(p -> assertThat(p.getFileName()).hasToString("a.ipc"));
    put("a.feather", FILE_MAGIC);
    assertThat(locate("a")).hasValueSatisfying(p -> assertThat(p.getFileName()).hasToString("a.feather"));
    put("a.arrow", FILE_MAGIC);
    assertThat(locate("a")).hasValueSatisfying(p -> assertThat(p.getFileName()).hasToString("a.arrow"));
    // a file named exactly like the dataset loses to every known extension
    put("a", FILE_MAGIC);
    assertThat(locate("a")).hasValueSatisfying(p -> assertThat(p.getFileName()).hasToString("a.arrow"));

    assertThat(scan()).containsOnlyKeys("a");
    assertThat(scan().get("a").getFileName()).hasToString("a.arrow");

    Files.delete(rootDir.resolve("a.arrow"));
    assertThat(scan().get("a").getFileName()).hasToString("a.feather");
    Files.delete(rootDir.resolve("a.feather"));
    Files.delete(rootDir.resolve("a.ipc"));
    Files.delete(rootDir.resolve("a.arrows"));
    assertThat(locate("a")).hasValueSatisfying(p -> assertThat(p.getFileName()).hasToString("a"));
    assertThat(scan().get("a").getFileName()).hasToString("a");
  }

  @Test
  void knownExtensionsNeedNoMagic() throws IOException {
    // content is checked when the dataset is opened, not when it is listed
    put("broken.arrow", NOT_ARROW);
    assertThat(locate("broken")).isPresent();
    assertThat(scan()).containsKey("broken");
  }

  @Test
  void nestedDirectoriesGiveSlashSeparatedNames() throws IOException {
    Path q1 = put("sales/2024/q1.arrow", FILE_MAGIC);
    Path eu = put("sales/eu.feather", FILE_MAGIC);
    Path top = put("top.arrows", STREAM_START);
    Map<String, Path> found = scan();
    assertThat(found).containsOnlyKeys("sales/2024/q1", "sales/eu", "top");
    assertThat(real(found.get("sales/2024/q1"))).isEqualTo(real(q1));
    assertThat(locate("sales/2024/q1")).hasValueSatisfying(p -> assertThat(p).isEqualTo(found.get("sales/2024/q1")));
    assertThat(real(locate("sales/eu").orElseThrow())).isEqualTo(real(eu));
    assertThat(real(locate("top").orElseThrow())).isEqualTo(real(top));
    assertThat(locate("sales")).isEmpty();
    assertThat(locate("sales/2024")).isEmpty();
    assertThat(locate("q1")).isEmpty();
    assertThat(locate("sales/2024/q1/deeper")).isEmpty();
  }

  @Test
  void unknownExtensionIsServedUnderItsFullNameWhenItIsArrow() throws IOException {
    Path bin = put("data.bin", FILE_MAGIC);
    Path raw = put("dir/raw", STREAM_START);
    put("notes.txt", NOT_ARROW);
    put("dir/empty.dat", new byte[0]);
    put("dir/short.dat", new byte[] {'A', 'R'});
    Map<String, Path> found = scan();
    assertThat(found).containsOnlyKeys("data.bin", "dir/raw");
    assertThat(real(locate("data.bin").orElseThrow())).isEqualTo(real(bin));
    assertThat(real(locate("dir/raw").orElseThrow())).isEqualTo(real(raw));
    assertThat(locate("data")).isEmpty();
    assertThat(locate("notes.txt")).isEmpty();
    assertThat(locate("notes")).isEmpty();
    assertThat(locate("dir/empty.dat")).isEmpty();
    assertThat(locate("dir/short.dat")).isEmpty();
  }

  @Test
  void fileNamedWithAKnownExtensionIsServedWithoutIt() throws IOException {
    put("x.arrow", FILE_MAGIC);
    put("y.arrow.arrow", FILE_MAGIC);
    assertThat(scan()).containsOnlyKeys("x", "y.arrow");
    assertThat(locate("x.arrow")).isEmpty();
    assertThat(locate("y.arrow")).isPresent();
  }

  @Test
  void hiddenFilesAndDirectoriesAreIgnored() throws IOException {
    put(".hidden.arrow", FILE_MAGIC);
    put(".staging/upload.arrow", FILE_MAGIC);
    put("visible/.partial.arrow", FILE_MAGIC);
    put("visible/.cache/x.arrow", FILE_MAGIC);
    put(".raw", FILE_MAGIC);
    put("visible/shown.arrow", FILE_MAGIC);
    assertThat(scan()).containsOnlyKeys("visible/shown");
    assertThat(locate(".hidden")).isEmpty();
    assertThat(locate(".hidden.arrow")).isEmpty();
    assertThat(locate(".staging/upload")).isEmpty();
    assertThat(locate("visible/.partial")).isEmpty();
    assertThat(locate("visible/.cache/x")).isEmpty();
    assertThat(locate(".raw")).isEmpty();
    assertThat(locate("visible/shown")).isPresent();
  }

  @Test
  void symlinkToAFileOutsideTheRootIsNotServed() throws IOException {
    Path secret = Files.write(outside.resolve("secret.arrow"), FILE_MAGIC);
    Files.write(outside.resolve("secret"), FILE_MAGIC);
    Files.createSymbolicLink(rootDir.resolve("link.arrow"), secret);
    Files.createSymbolicLink(rootDir.resolve("rawlink"), outside.resolve("secret"));
    put("inside.arrow", FILE_MAGIC);
    assertThat(locate("link")).isEmpty();
    assertThat(locate("rawlink")).isEmpty();
    assertThat(scan()).containsOnlyKeys("inside");
  }

  @Test
  void symlinkedDirectoryOutsideTheRootIsNotScannedOrServed() throws IOException {
    Files.write(outside.resolve("data.arrow"), FILE_MAGIC);
    Files.createDirectories(outside.resolve("deep"));
    Files.write(outside.resolve("deep/more.arrow"), FILE_MAGIC);
    Files.createSymbolicLink(rootDir.resolve("ext"), outside);
    put("own.arrow", FILE_MAGIC);
    assertThat(scan()).containsOnlyKeys("own");
    assertThat(locate("ext/data")).isEmpty();
    assertThat(locate("ext/deep/more")).isEmpty();
  }

  @Test
  void symlinksInsideTheRootAreServed() throws IOException {
    Path target = put("real/target.arrow", FILE_MAGIC);
    Files.createSymbolicLink(rootDir.resolve("alias.arrow"), target);
    Files.createSymbolicLink(rootDir.resolve("relative.arrow"), Path.of("real", "target.arrow"));
    Files.createSymbolicLink(rootDir.resolve("mirror"), rootDir.resolve("real"));
    Map<String, Path> found = scan();
    assertThat(found).containsOnlyKeys("real/target", "alias", "relative", "mirror/target");
    for (String name : found.keySet()) {
      assertThat(real(locate(name).orElseThrow())).as(name).isEqualTo(real(target));
    }
    assertThat(locate("alias").orElseThrow().getFileName()).hasToString("alias.arrow");
  }

  @Test
  void symlinkEscapingThroughDotDotIsNotServed() throws IOException {
    Files.write(outside.resolve("escape.arrow"), FILE_MAGIC);
    Files.createSymbolicLink(rootDir.resolve("up.arrow"), Path.of("..", "outside", "escape.arrow"));
    assertThat(locate("up")).isEmpty();
    assertThat(scan()).isEmpty();
  }

  @Test
  void danglingSymlinksAndLoopsAreSkipped() throws IOException {
    Files.createSymbolicLink(rootDir.resolve("dangling.arrow"), rootDir.resolve("nothing-here.arrow"));
    Files.createSymbolicLink(rootDir.resolve("loop"), rootDir);
    put("a.arrow", FILE_MAGIC);
    Map<String, Path> found = scan();
    assertThat(found).containsKey("a").doesNotContainKey("dangling");
    assertThat(locate("dangling")).isEmpty();
    // whatever the walk does with the loop, it terminates and stays inside the root
    for (Path p : found.values()) {
      assertThat(p.toRealPath()).startsWith(rootDir.toRealPath());
    }
  }

  @Test
  void filesWhosePathIsNotAValidNameAreIgnored() throws IOException {
    put("back\\slash.arrow", FILE_MAGIC);
    put("new\nline.arrow", FILE_MAGIC);
    put("fine name.arrow", FILE_MAGIC);
    assertThat(scan()).containsOnlyKeys("fine name");
  }

  @Test
  void directoriesAndOtherNonFilesAreNotDatasets() throws IOException {
    Files.createDirectories(rootDir.resolve("d.arrow"));
    put("d.arrow/e.arrow", FILE_MAGIC);
    put("plain", NOT_ARROW);
    assertThat(locate("d")).isEmpty();
    assertThat(locate("plain/x")).isEmpty();
    assertThat(scan()).containsOnlyKeys("d.arrow/e");
    assertThat(locate("d.arrow/e")).isPresent();
  }

  @Test
  void everyScannedNameLocatesToTheSameFile() throws IOException {
    put("a.arrow", FILE_MAGIC);
    put("a.ipc", FILE_MAGIC);
    put("b.arrows", STREAM_START);
    put("b.feather", FILE_MAGIC);
    put("c", FILE_MAGIC);
    put("c.bin", STREAM_START);
    put("n/d.ipc", FILE_MAGIC);
    put("n/d", STREAM_START);
    put("n/m/e.arrows", STREAM_START);
    put("n/m/.e.arrow", FILE_MAGIC);
    put("n/x.txt", NOT_ARROW);
    TreeMap<DatasetName, Path> found = root.scan();
    assertThat(found.keySet()).extracting(DatasetName::toString)
        .containsExactly("a", "b", "c", "c.bin", "n/d", "n/m/e");
    found.forEach((name, path) -> assertThat(root.locate(name)).as(name.toString()).contains(path));
  }

  @Test
  void emptyRootHasNoDatasets() throws IOException {
    assertThat(root.scan()).isEmpty();
    assertThat(locate("anything")).isEmpty();
  }
}
