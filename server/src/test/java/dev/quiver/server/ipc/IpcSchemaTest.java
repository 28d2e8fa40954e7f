package dev.quiver.server.ipc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.flatbuffers.FlatBufferBuilder;
import org.apache.arrow.flatbuf.Field;
import org.apache.arrow.flatbuf.Int;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.MetadataVersion;
import org.apache.arrow.flatbuf.Schema;
import org.apache.arrow.flatbuf.Type;
import org.junit.jupiter.api.Test;

/** Schemas built by hand to be hostile: they must be refused quickly, not walked forever. */
class IpcSchemaTest {

  /**
   * A schema whose struct fields each list the same child table twice: a few hundred bytes that
   * describe 2^depth leaf fields. A tree walk would double its work per level.
   */
  private static byte[] sharedChildSchema(int depth) {
    FlatBufferBuilder b = new FlatBufferBuilder();
    int intType = Int.createInt(b, 32, true);
    int name = b.createString("f");
    int noChildren = Field.createChildrenVector(b, new int[0]);
    Field.startField(b);
    Field.addName(b, name);
    Field.addNullable(b, true);
    Field.addTypeType(b, Type.Int);
    Field.addType(b, intType);
    Field.addChildren(b, noChildren);
    int child = Field.endField(b);
    for (int d = 0; d < depth; d++) {
      b.startTable(0);
      int structType = b.endTable();
      int children = Field.createChildrenVector(b, new int[] {child, child});
      Field.startField(b);
      Field.addName(b, name);
      Field.addNullable(b, true);
      Field.addTypeType(b, Type.Struct_);
      Field.addType(b, structType);
      Field.addChildren(b, children);
      child = Field.endField(b);
    }
    int fields = Schema.createFieldsVector(b, new int[] {child});
    Schema.startSchema(b);
    Schema.addFields(b, fields);
    int schema = Schema.endSchema(b);
    Message.startMessage(b);
    Message.addVersion(b, MetadataVersion.V5);
    Message.addHeaderType(b, MessageHeader.Schema);
    Message.addHeader(b, schema);
    Message.finishMessageBuffer(b, Message.endMessage(b));
    return b.sizedByteArray();
  }

  @Test
  void aSchemaThatReusesChildTablesIsRefusedInsteadOfExploding() {
    byte[] hostile = sharedChildSchema(40); // 2^40 fields if walked as a tree
    assertThatThrownBy(() -> IpcSchema.fromMessage(hostile))
        .isInstanceOf(IpcFormatException.class)
        .hasMessageContaining("more fields than its");
  }

  @Test
  void aSmallSharedChildSchemaIsStillAcceptedWhenItFitsItsBytes() throws Exception {
    // Depth 2 describes 1 + 2 + 4 = 7 fields; the bytes could hold that many tables.
    IpcSchema schema = IpcSchema.fromMessage(sharedChildSchema(2));
    assertThat(schema.fieldNames()).containsExactly("f");
    assertThat(schema.layouts(MetadataVersion.V5)[0].nodes()).isEqualTo(7);
  }
}
