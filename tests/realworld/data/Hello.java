// SPDX-License-Identifier: MIT
// The corpus's Java program, run with the single-file source launcher (java Hello.java): the JVM
// compiles it in memory with javac's classes, then runs it. Collections, strings, a few threads.
import java.util.*;
import java.util.concurrent.*;

public class Hello {
    public static void main(String[] args) throws Exception {
        Map<String, Integer> words = new TreeMap<>();
        String text = "the quick brown fox jumps over the lazy dog the end";
        for (String w : text.split(" "))
            words.merge(w, 1, Integer::sum);
        System.out.println("words: " + words);

        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<Long>> parts = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            final int base = t;
            parts.add(pool.submit(() -> {
                long sum = 0;
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < 20000; i++) {
                    sb.setLength(0);
                    sb.append(base).append(':').append(i);
                    sum += sb.toString().hashCode() & 0xff;
                }
                return sum;
            }));
        }
        long total = 0;
        for (Future<Long> f : parts)
            total += f.get();
        pool.shutdown();
        System.out.println("total: " + total);
    }
}
