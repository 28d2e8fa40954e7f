package dev.quiver.server.catalog;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.TimeStampMicroTZVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A small, deterministic dataset ({@value #NAME}: 10 batches of 1,000 taxi trips) written into an
 * empty default data directory, so a first start of the server has something real to serve.
 */
public final class SampleDataset {
  public static final String NAME = "sample";
  public static final int BATCHES = 10;
  public static final int ROWS_PER_BATCH = 1_000;
  private static final List<String> CITIES = List.of("Lisbon", "Porto", "Osaka", "Lagos", "Lima", "Oslo");

  private SampleDataset() {}

  public static Schema schema() {
    return new Schema(List.of(
        Field.notNullable("trip_id", new ArrowType.Int(64, true)),
        Field.nullable("city", ArrowType.Utf8.INSTANCE),
        Field.nullable("distance_km", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)),
        Field.nullable("fare", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)),
        new Field("pickup_at", FieldType.nullable(new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC")), null)));
  }

  /** Writes {@code <dir>/sample.arrow} (via a temporary file and a rename) and returns its path. */
  public static Path writeInto(Path dir) throws IOException {
    Path target = dir.resolve(NAME + ".arrow");
    Path temporary = dir.resolve("." + NAME + ".arrow.tmp");
    Random random = new Random(42);
    long start = 1_767_225_600_000_000L; // 2026-01-01T00:00:00Z in microseconds
    try (BufferAllocator allocator = new RootAllocator();
         VectorSchemaRoot root = VectorSchemaRoot.create(schema(), allocator);
         FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE,
             StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
         ArrowFileWriter writer = new ArrowFileWriter(root, null, channel)) {
      BigIntVector id = (BigIntVector) root.getVector("trip_id");
      VarCharVector city = (VarCharVector) root.getVector("city");
      Float8Vector distance = (Float8Vector) root.getVector("distance_km");
      Float8Vector fare = (Float8Vector) root.getVector("fare");
      TimeStampMicroTZVector pickup = (TimeStampMicroTZVector) root.getVector("pickup_at");
      writer.start();
      for (int b = 0; b < BATCHES; b++) {
        root.allocateNew();
        for (int i = 0; i < ROWS_PER_BATCH; i++) {
          long n = (long) b * ROWS_PER_BATCH + i;
          id.setSafe(i, n);
          city.setSafe(i, CITIES.get(random.nextInt(CITIES.size())).getBytes(java.nio.charset.StandardCharsets.UTF_8));
          double km = Math.round(random.nextDouble() * 250) / 10.0;
          distance.setSafe(i, km);
          if (n % 97 == 0) {
            fare.setNull(i); // a few unpaid trips, so the sample has nulls
          } else {
            fare.setSafe(i, Math.round((3.5 + km * 1.2) * 100) / 100.0);
          }
          pickup.setSafe(i, start + n * 61_000_000L);
        }
        root.setRowCount(ROWS_PER_BATCH);
        writer.writeBatch();
      }
      writer.end();
      channel.force(true);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(temporary);
      throw e;
    }
    Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    return target;
  }
}
