package io.maaskit.model.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.maaskit.model.error.OverloadedException;
import io.maaskit.model.error.RequestCancelledException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Each admission limit changes what a caller sees. */
class AdmissionTest {
  static Admission admission(int slots, int queue, Duration wait) {
    return new Admission(new AdmissionOptions(slots, queue, wait, 0));
  }

  @Test
  void requestsBeyondSlotsPlusQueueAreRefusedAtOnceWithRetryAfter() {
    Admission a = admission(2, 1, Duration.ofSeconds(30));
    List<Admission.Ticket> in = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      in.add(a.enter(Cancellation.NONE));
    }
    OverloadedException e =
        assertThrows(OverloadedException.class, () -> a.enter(Cancellation.NONE));
    assertEquals(Duration.ofSeconds(1), e.retryAfter());
    in.remove(0).close();
    a.enter(Cancellation.NONE).close(); // a slot freed is a place again
    in.forEach(Admission.Ticket::close);
    assertEquals(0, a.inside());
  }

  @Test
  void aLargerQueueAdmitsMore() {
    Admission none = admission(1, 0, Duration.ofSeconds(30));
    Admission.Ticket t = none.enter(Cancellation.NONE);
    assertThrows(OverloadedException.class, () -> none.enter(Cancellation.NONE));
    t.close();
    Admission four = admission(1, 4, Duration.ofSeconds(30));
    for (int i = 0; i < 5; i++) {
      four.enter(Cancellation.NONE);
    }
    assertEquals(5, four.inside());
  }

  @Test
  void noMoreSubBatchesRunAtOnceThanSlots() throws Exception {
    for (int slots : new int[] {1, 3}) {
      Admission a = admission(slots, 16, Duration.ofSeconds(30));
      AtomicInteger running = new AtomicInteger();
      AtomicInteger peak = new AtomicInteger();
      ExecutorService pool = Executors.newFixedThreadPool(8);
      List<Future<?>> fs = new ArrayList<>();
      CountDownLatch start = new CountDownLatch(1);
      for (int i = 0; i < 8; i++) {
        fs.add(
            pool.submit(
                () -> {
                  start.await();
                  try (Admission.Ticket t = a.enter(Cancellation.NONE)) {
                    for (int b = 0; b < 5; b++) {
                      t.run(
                          64,
                          () -> {
                            peak.accumulateAndGet(running.incrementAndGet(), Math::max);
                            try {
                              Thread.sleep(5);
                            } catch (InterruptedException e) {
                              Thread.currentThread().interrupt();
                            }
                            return running.decrementAndGet();
                          });
                    }
                  }
                  return null;
                }));
      }
      start.countDown();
      for (Future<?> f : fs) {
        f.get(60, TimeUnit.SECONDS);
      }
      pool.shutdown();
      assertTrue(peak.get() <= slots, "peak " + peak + " with " + slots + " slots");
      if (slots > 1) {
        assertTrue(peak.get() > 1, "more slots let more sub-batches run together: " + peak);
      }
    }
  }

  @Test
  void aRequestThatWaitsLongerThanMaxWaitForASlotIsRefused() throws Exception {
    Admission a = admission(1, 4, Duration.ofMillis(100));
    CountDownLatch holding = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Thread holder =
        new Thread(
            () -> {
              try (Admission.Ticket t = a.enter(Cancellation.NONE)) {
                t.run(
                    1,
                    () -> {
                      holding.countDown();
                      try {
                        release.await();
                      } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                      }
                      return null;
                    });
              }
            });
    holder.start();
    holding.await();
    try (Admission.Ticket t = a.enter(Cancellation.NONE)) {
      OverloadedException e = assertThrows(OverloadedException.class, () -> t.run(1, () -> 1));
      assertTrue(e.getMessage().contains("waited"), e.getMessage());
    } finally {
      release.countDown();
      holder.join();
    }
  }

  /** A free slot goes to the smaller of two waiting sub-batches, whatever came first. */
  @Test
  void aSmallRequestGoesBeforeAWaitingBigSubBatch() throws Exception {
    Admission a = admission(1, 8, Duration.ofSeconds(30));
    CountDownLatch release = new CountDownLatch(1);
    List<String> order = java.util.Collections.synchronizedList(new ArrayList<>());
    Thread holder = holdSlot(a, release);
    Thread big = waiter(a, 64L * 256, "big", order);
    while (a.waiting() < 1) {
      Thread.sleep(5);
    }
    Thread small = waiter(a, 12, "small", order);
    while (a.waiting() < 2) {
      Thread.sleep(5);
    }
    release.countDown();
    for (Thread t : List.of(holder, big, small)) {
      t.join(30_000);
    }
    assertEquals(List.of("small", "big"), order);
  }

  @Test
  void twoBigRequestsRunOneAfterTheOtherNotInterleaved() throws Exception {
    Admission a = admission(1, 8, Duration.ofSeconds(30));
    CountDownLatch release = new CountDownLatch(1);
    List<String> order = java.util.Collections.synchronizedList(new ArrayList<>());
    Thread holder = holdSlot(a, release);
    List<Thread> bigs = new ArrayList<>();
    for (String name : List.of("first", "second")) {
      bigs.add(
          new Thread(
              () -> {
                try (Admission.Ticket t = a.enter(3 * 4096, Cancellation.NONE)) {
                  for (int i = 1; i <= 3; i++) {
                    int k = i;
                    t.run(4096, () -> order.add(name + " " + k));
                  }
                }
              }));
      bigs.get(bigs.size() - 1).start();
      while (a.waiting() < bigs.size()) {
        Thread.sleep(5);
      }
    }
    release.countDown();
    holder.join(30_000);
    for (Thread t : bigs) {
      t.join(30_000);
    }
    assertEquals(
        List.of("first 1", "first 2", "first 3", "second 1", "second 2", "second 3"), order);
    assertEquals(0, a.inside());
  }

  /** A thread whose request holds the one slot until {@code release}; returns once it holds it. */
  static Thread holdSlot(Admission a, CountDownLatch release) throws InterruptedException {
    CountDownLatch holding = new CountDownLatch(1);
    Thread holder =
        new Thread(
            () -> {
              try (Admission.Ticket t = a.enter(Cancellation.NONE)) {
                t.run(
                    1,
                    () -> {
                      holding.countDown();
                      try {
                        release.await();
                      } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                      }
                      return null;
                    });
              }
            });
    holder.start();
    holding.await();
    return holder;
  }

  static Thread waiter(Admission a, long cost, String name, List<String> order) {
    Thread t =
        new Thread(
            () -> {
              try (Admission.Ticket ticket = a.enter(Cancellation.NONE)) {
                ticket.run(cost, () -> order.add(name));
              }
            });
    t.start();
    return t;
  }

  @Test
  void aCancelledRequestRunsNoFurtherSubBatches() {
    Admission a = admission(1, 0, Duration.ofSeconds(30));
    AtomicInteger ran = new AtomicInteger();
    String[] reason = {null};
    try (Admission.Ticket t = a.enter(() -> reason[0])) {
      t.run(1, ran::incrementAndGet);
      reason[0] = "the client disconnected";
      RequestCancelledException e =
          assertThrows(RequestCancelledException.class, () -> t.run(1, ran::incrementAndGet));
      assertTrue(e.getMessage().contains("the client disconnected"));
    }
    assertEquals(1, ran.get());
    assertEquals(0, a.inside());
  }

  @Test
  void aPassedDeadlineCancels() {
    assertEquals(null, Cancellation.deadline(Duration.ofMinutes(5)).reason());
    assertTrue(Cancellation.deadline(Duration.ZERO).reason().contains("deadline"));
    assertTrue(Cancellation.NONE.or(Cancellation.deadline(Duration.ZERO)).reason() != null);
  }

  @Test
  void ticketsArePricedByWorkAndADeadlineTheQueuedWorkWouldOutlastIsRefusedAtOnce() {
    Admission a = admission(1, 8, Duration.ofSeconds(30));
    Admission.Ticket big = a.enter(40_000, Cancellation.NONE); // no deadline: admitted
    Admission.Ticket small = a.enter(12, Cancellation.deadline(Duration.ofMinutes(10)));
    assertEquals(40_012, a.workInside());
    // 40,000 tokens ahead at the initial 50 µs per token is 2 s: a caller with 1 s left is told
    // at once rather than queued for an answer it would not wait for.
    OverloadedException late =
        assertThrows(
            OverloadedException.class,
            () -> a.enter(12, Cancellation.NONE.or(Cancellation.deadline(Duration.ofSeconds(1)))));
    assertTrue(late.getMessage().contains("would outlast its deadline"), late.getMessage());
    assertEquals(1, a.refused());
    big.close();
    small.close();
    assertEquals(0, a.workInside());
    assertEquals(0, a.inside());
    a.enter(12, Cancellation.deadline(Duration.ofSeconds(1))).close(); // nothing ahead: admitted
  }

  @Test
  void fullSaysWhetherTheNextRequestWouldBeRefused() {
    Admission a = admission(1, 1, Duration.ofSeconds(30));
    Admission.Ticket first = a.enter(Cancellation.NONE);
    assertFalse(a.full());
    Admission.Ticket second = a.enter(Cancellation.NONE);
    assertTrue(a.full());
    assertThrows(OverloadedException.class, () -> a.enter(Cancellation.NONE));
    assertTrue(a.refuse().getMessage().contains("at capacity"));
    assertEquals(2, a.refused());
    second.close();
    assertFalse(a.full());
    first.close();
  }
}
