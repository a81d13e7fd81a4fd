package uk.gov.miap.lrs.keycloak.webhook;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * Bounded queue + ONE background daemon thread that delivers bodies. {@link #enqueue} never
 * blocks and never throws, so a slow or dead webhook receiver cannot slow or fail a logon: when
 * the queue is full the body is dropped and one log line is written.
 */
public final class WebhookDispatcher implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(WebhookDispatcher.class);

    /** Delivers one body; throws on any failure (non-2xx, timeout, I/O). */
    @FunctionalInterface
    public interface Sender {
        void send(String body) throws Exception;
    }

    private final BlockingQueue<String> queue;
    private final Sender sender;
    private final long retryDelayMillis;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final Thread worker;
    private volatile boolean running = true;
    /** When a delivery last failed for good; while recent, later events are not retried. */
    private volatile long lastFailureMillis = Long.MIN_VALUE / 2;
    /** How long after a failed delivery the endpoint counts as down (no retry, no waiting). */
    static final long DOWN_FOR_MILLIS = 30_000;

    public WebhookDispatcher(int capacity, Sender sender, long retryDelayMillis, String threadName) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1");
        }
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.sender = sender;
        this.retryDelayMillis = retryDelayMillis;
        this.worker = new Thread(this::run, threadName);
        this.worker.setDaemon(true);
    }

    public WebhookDispatcher start() {
        worker.start();
        return this;
    }

    /** @return false when the body was dropped (queue full or dispatcher closed). */
    public boolean enqueue(String body) {
        if (!running || body == null) {
            return false;
        }
        if (queue.offer(body)) {
            return true;
        }
        long n = dropped.incrementAndGet();
        LOG.warnf("lrs-webhook: queue full (%d waiting), event dropped (%d dropped since start)", queue.size(), n);
        return false;
    }

    private void run() {
        while (running || !queue.isEmpty()) {
            String body;
            try {
                body = queue.poll(500, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                if (!running) {
                    break;
                }
                continue;
            }
            if (body != null) {
                deliver(body);
            }
        }
    }

    private void deliver(String body) {
        for (int attempt = 1; attempt <= 2; attempt++) { // at most one retry
            try {
                sender.send(body);
                delivered.incrementAndGet();
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failed.incrementAndGet();
                return;
            } catch (Exception e) {
                // While the companion app is down, fail fast: a retry pause per event would let
                // the queue fall minutes behind, and the app's poller catches up on what it missed.
                boolean down = System.currentTimeMillis() - lastFailureMillis < DOWN_FOR_MILLIS;
                if (attempt == 2 || !running || down) {
                    failed.incrementAndGet();
                    lastFailureMillis = System.currentTimeMillis();
                    LOG.warnf("lrs-webhook: delivery failed, event dropped: %s", describe(e));
                    return;
                }
                LOG.debugf("lrs-webhook: delivery failed (%s), retrying once", describe(e));
                try {
                    Thread.sleep(retryDelayMillis);
                } catch (InterruptedException ie) {
                    if (!running) {
                        failed.incrementAndGet();
                        return;
                    }
                }
            }
        }
    }

    private static String describe(Exception e) {
        String msg = e.getMessage();
        return e.getClass().getSimpleName() + (msg == null ? "" : ": " + msg);
    }

    public long droppedCount() {
        return dropped.get();
    }

    public long deliveredCount() {
        return delivered.get();
    }

    public long failedCount() {
        return failed.get();
    }

    public int queued() {
        return queue.size();
    }

    /** Stops the thread; waits up to ~2 s, then abandons whatever is still queued. */
    @Override
    public void close() {
        running = false;
        worker.interrupt();
        try {
            worker.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        int left = queue.size();
        queue.clear();
        if (left > 0) {
            LOG.warnf("lrs-webhook: stopped with %d undelivered events", left);
        }
    }
}
