package dev.quiver.server.ipc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/** Dictionary state replay in {@link IpcIndex#plan}, on a hand-built message sequence. */
class IpcIndexPlanTest {
  private static final long A = 1;
  private static final long B = 2;

  // position: 0    1    2   3     4   5      6   7      8   9
  //           A    B    b0  A'    b1  A+     b2  B+     A'' b3
  private final IpcMessage a = dictionary(A, false, 4);
  private final IpcMessage bDict = dictionary(B, false, 3);
  private final IpcMessage b0 = batch(10);
  private final IpcMessage aReplaced = dictionary(A, false, 5);
  private final IpcMessage b1 = batch(11);
  private final IpcMessage aDelta = dictionary(A, true, 2);
  private final IpcMessage b2 = batch(12);
  private final IpcMessage bDelta = dictionary(B, true, 1);
  private final IpcMessage aReplacedAgain = dictionary(A, false, 6);
  private final IpcMessage b3 = batch(13);
  /** A schema without fields: the plan never looks at the schema. */
  private static final IpcSchema NO_FIELDS = ArrowFiles.ipcSchema(new Schema(List.of()));
  private final IpcIndex index = new IpcIndex(IpcFormat.STREAM, NO_FIELDS,
      List.of(a, bDict, b0, aReplaced, b1, aDelta, b2, bDelta, aReplacedAgain, b3), false);

  private static int counter;

  private static IpcMessage batch(long rows) {
    return IpcMessage.recordBatch(new byte[8 + counter++], 1000 + counter, 64, rows);
  }

  private static IpcMessage dictionary(long id, boolean delta, long rows) {
    return IpcMessage.dictionaryBatch(new byte[8 + counter++], 2000 + counter, 32, rows, id, delta);
  }

  @Test
  void countsAndTotals() {
    assertThat(index.batchCount()).isEqualTo(4);
    assertThat(index.totalRows()).isEqualTo(10 + 11 + 12 + 13);
    assertThat(List.of(index.batch(0), index.batch(1), index.batch(2), index.batch(3)))
        .containsExactly(b0, b1, b2, b3);
    assertThat(index.schemaHeader()).isSameAs(NO_FIELDS.messageHeader());
    long bytes = NO_FIELDS.messageHeader().length;
    for (IpcMessage m : index.messages()) {
      bytes += m.header().length + m.bodyLength();
    }
    assertThat(index.totalBytes()).isEqualTo(bytes);
    assertThat(index.format()).isEqualTo(IpcFormat.STREAM);
    assertThat(index.compressed()).isFalse();
    assertThatThrownBy(() -> index.messages().add(b0)).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void wholeRangeIsEveryMessageInOrder() {
    assertThat(index.plan(0, 4, Set.of(A, B))).containsExactlyElementsOf(index.messages());
  }

  @Test
  void firstBatchNeedsOnlyTheDictionariesBeforeIt() {
    assertThat(index.plan(0, 1, Set.of(A, B))).containsExactly(a, bDict, b0);
  }

  @Test
  void replacementDropsEarlierVersions() {
    assertThat(index.plan(1, 2, Set.of(A, B))).containsExactly(aReplaced, bDict, b1);
  }

  @Test
  void deltasAfterTheLastReplacementAreReplayed() {
    assertThat(index.plan(2, 3, Set.of(A, B))).containsExactly(aReplaced, aDelta, bDict, b2);
  }

  @Test
  void stateOfEveryDictionaryIsReplayedInFirstSeenOrder() {
    assertThat(index.plan(3, 4, Set.of(A, B))).containsExactly(aReplacedAgain, bDict, bDelta, b3);
  }

  @Test
  void dictionariesInsideTheRangeStayInterleaved() {
    assertThat(index.plan(1, 4, Set.of(A, B)))
        .containsExactly(aReplaced, bDict, b1, aDelta, b2, bDelta, aReplacedAgain, b3);
  }

  @Test
  void unwantedDictionariesAreLeftOut() {
    assertThat(index.plan(0, 4, Set.of(B))).containsExactly(bDict, b0, b1, b2, bDelta, b3);
    assertThat(index.plan(2, 4, Set.of(A))).containsExactly(aReplaced, aDelta, b2, aReplacedAgain, b3);
    assertThat(index.plan(0, 4, Set.of())).containsExactly(b0, b1, b2, b3);
    assertThat(index.plan(1, 3, Set.of(99L))).containsExactly(b1, b2);
  }

  @Test
  void emptyRangesSendNoBatches() {
    for (int i = 0; i <= 4; i++) {
      assertThat(index.plan(i, i, Set.of(A, B))).noneMatch(IpcMessage::isRecordBatch);
    }
  }

  @Test
  void everyRangeHasExactlyItsBatches() {
    List<IpcMessage> batches = List.of(b0, b1, b2, b3);
    for (int start = 0; start <= 4; start++) {
      for (int end = start; end <= 4; end++) {
        List<IpcMessage> plan = index.plan(start, end, Set.of(A, B));
        assertThat(plan.stream().filter(IpcMessage::isRecordBatch).toList())
            .as("[%d, %d)", start, end)
            .containsExactlyElementsOf(batches.subList(start, end));
        // no record batch is preceded by a dictionary that comes after it in the file
        int lastBatchPosition = -1;
        for (IpcMessage m : plan) {
          int position = index.messages().indexOf(m);
          if (m.isRecordBatch()) {
            assertThat(position).isGreaterThan(lastBatchPosition);
            lastBatchPosition = position;
          } else if (lastBatchPosition >= 0) {
            assertThat(position).isGreaterThan(lastBatchPosition);
          }
        }
      }
    }
  }

  @Test
  void leadingDeltaWithoutBaseIsKept() {
    IpcMessage delta = dictionary(A, true, 1);
    IpcMessage batch = batch(1);
    IpcMessage batch2 = batch(2);
    IpcIndex odd = new IpcIndex(IpcFormat.STREAM, NO_FIELDS, List.of(delta, batch, batch2), false);
    assertThat(odd.plan(1, 2, Set.of(A))).containsExactly(delta, batch2);
  }

  @Test
  void outOfRangeIsRefused() {
    for (int[] range : List.of(new int[] {-1, 1}, new int[] {0, 5}, new int[] {3, 2}, new int[] {5, 5},
        new int[] {Integer.MIN_VALUE, 0}, new int[] {0, Integer.MAX_VALUE})) {
      assertThatThrownBy(() -> index.plan(range[0], range[1], Set.of(A)))
          .as("[%d, %d)", range[0], range[1])
          .isInstanceOf(IndexOutOfBoundsException.class);
    }
  }

  @Test
  void indexWithoutMessages() {
    IpcIndex empty = new IpcIndex(IpcFormat.FILE, NO_FIELDS, new ArrayList<>(), false);
    assertThat(empty.batchCount()).isZero();
    assertThat(empty.totalRows()).isZero();
    // only the schema message is sent
    assertThat(NO_FIELDS.messageHeader()).isNotEmpty();
    assertThat(empty.totalBytes()).isEqualTo(NO_FIELDS.messageHeader().length);
    assertThat(empty.plan(0, 0, Set.of(A))).isEmpty();
  }
}
