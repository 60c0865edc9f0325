// A Java program: a counter thread adds to a shared counter under a
// lock, main samples it; the output, once it has reached the end, must
// be the same whether or not it was checkpointed on the way.
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
        System.out.println("ready");
        t.start();
        long last = 0;
        while (t.isAlive()) {
            Thread.sleep(20);
            synchronized (lock) {
                if (counter < last) {
                    System.out.println("went back from " + last + " to " + counter);
                    System.exit(1);
                }
                last = counter;
            }
        }
        t.join();
        System.out.println("total " + counter);
    }
}
