package dev.quiver.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quiver.client.QuiverClient;
import java.io.PrintStream;
import java.util.List;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code quiver schema NAME}: the dataset's Arrow schema, one field per line ({@code name: type
 * (nullable)}, children of nested types indented below their parent), or as JSON. Types are
 * spelled as arrow-java prints them, the same text {@code quiver info} shows.
 */
@Command(name = "schema", mixinStandardHelpOptions = true, description = "Show a dataset's Arrow schema.")
final class SchemaCommand extends QuiverCommand {
  @Parameters(index = "0", paramLabel = "NAME", description = "Dataset name.")
  String name;

  @Override
  void run(QuiverClient client) {
    Schema schema = client.schema(name);
    if (json()) {
      ObjectNode object = Json.object().put("dataset", name);
      fields(object.putArray("fields"), schema.getFields());
      ObjectNode metadata = object.putObject("metadata");
      schema.getCustomMetadata().forEach(metadata::put);
      Json.print(out(), object);
      return;
    }
    print(out(), schema.getFields(), "");
  }

  private static void fields(ArrayNode array, List<Field> fields) {
    for (Field field : fields) {
      ObjectNode node = array.addObject().put("name", field.getName()).put("type", field.getType().toString())
          .put("nullable", field.isNullable()).put("dictionary_encoded", field.getDictionary() != null);
      fields(node.putArray("children"), field.getChildren());
    }
  }

  private static void print(PrintStream out, List<Field> fields, String indent) {
    for (Field field : fields) {
      out.println(indent + field.getName() + ": " + field.getType() + " (" + (field.isNullable() ? "nullable" : "not null")
          + (field.getDictionary() != null ? ", dictionary-encoded" : "") + ")");
      print(out, field.getChildren(), indent + "  ");
    }
  }
}
