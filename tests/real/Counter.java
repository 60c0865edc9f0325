// A Java program: a counter thread adds to a shared counter under a
// lock, main samples it; the output, once it has reached the end, must
// be the same whether or not it was checkpointed on the way.  "ready"
// comes once the counter is 30% of the way, so the runner can dump at a
// point fixed by the work done rather than by a guess of the JIT's speed.
public class Counter {
    static long counter;
    static final Object lock = new Object();

    public static void main(String[] args) throws Exception {
        final long n = args.length > 0 ? Long.parseLong(args[0]) : 3000000;
        Thread t = new Thread(() -> {
            for (long i = 0; i < n; i++) {
                synchronized (lock) {
                    counter++;
                }
                if (i % 100000 == 0)
                    Thread.yield();
            }
        }, "counter");
        t.start();
        long last = 0;
        boolean ready = false;
        while (t.isAlive()) {
            Thread.sleep(20);
            synchronized (lock) {
                if (counter < last) {
                    System.out.println("went back from " + last + " to " + counter);
                    System.exit(1);
                }
                last = counter;
            }
            if (!ready && last >= n * 3 / 10) {
                System.out.println("ready");
                ready = true;
            }
        }
        t.join();
        System.out.println("total " + counter);
    }
}
