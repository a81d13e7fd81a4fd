package uk.gov.miap.lrs.keycloak.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class WebhookDispatcherTest {

    @Test
    void dropsWhenQueueIsFullWithoutBlocking() throws Exception {
        CountDownLatch firstTaken = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<String> sent = new CopyOnWriteArrayList<>();
        WebhookDispatcher d = new WebhookDispatcher(2, body -> {
            firstTaken.countDown();
            release.await(); // a hung receiver
            sent.add(body);
        }, 10, "test-sender").start();
        try {
            assertTrue(d.enqueue("a"));
            assertTrue(firstTaken.await(5, TimeUnit.SECONDS)); // "a" is in flight, queue empty
            assertTrue(d.enqueue("b"));
            assertTrue(d.enqueue("c"));
            long t0 = System.nanoTime();
            assertFalse(d.enqueue("d"), "queue full: must drop");
            assertFalse(d.enqueue("e"));
            assertTrue(System.nanoTime() - t0 < TimeUnit.MILLISECONDS.toNanos(200), "enqueue must not block");
            assertEquals(2, d.droppedCount());
            release.countDown();
            waitFor(() -> sent.size() == 3);
            assertEquals(List.of("a", "b", "c"), sent);
        } finally {
            release.countDown();
            d.close();
        }
    }

    @Test
    void retriesAtMostOnce() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        WebhookDispatcher d = new WebhookDispatcher(10, body -> {
            calls.incrementAndGet();
            throw new java.io.IOException("down");
        }, 1, "test-sender").start();
        try {
            assertTrue(d.enqueue("x"));
            waitFor(() -> d.failedCount() == 1);
            Thread.sleep(50);
            assertEquals(2, calls.get());
            assertEquals(0, d.deliveredCount());
        } finally {
            d.close();
        }
    }

    @Test
    void whileTheEndpointIsDownLaterEventsFailFastInsteadOfWaitingToRetry() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        WebhookDispatcher d = new WebhookDispatcher(10, body -> {
            calls.incrementAndGet();
            throw new java.io.IOException("down");
        }, 300, "test-sender").start();
        try {
            long start = System.currentTimeMillis();
            for (int i = 0; i < 5; i++) {
                assertTrue(d.enqueue("x" + i));
            }
            waitFor(() -> d.failedCount() == 5);
            assertEquals(6, calls.get()); // the first event retried once, the rest did not wait
            assertTrue(System.currentTimeMillis() - start < 5 * 300, "the queue did not stall");
        } finally {
            d.close();
        }
    }

    @Test
    void secondAttemptCanSucceed() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        WebhookDispatcher d = new WebhookDispatcher(10, body -> {
            if (calls.incrementAndGet() == 1) {
                throw new java.io.IOException("blip");
            }
        }, 1, "test-sender").start();
        try {
            d.enqueue("x");
            waitFor(() -> d.deliveredCount() == 1);
            assertEquals(0, d.failedCount());
        } finally {
            d.close();
        }
    }

    @Test
    void closeStopsTheThreadAndRefusesNewEvents() {
        WebhookDispatcher d = new WebhookDispatcher(10, body -> { }, 1, "test-sender").start();
        d.close();
        assertFalse(d.enqueue("late"));
    }

    private static void waitFor(java.util.function.BooleanSupplier cond) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 5000;
        while (!cond.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("condition not met in 5 s");
            }
            Thread.sleep(5);
        }
    }
}
