/* SPDX-License-Identifier: MIT */
/* Example: two producer threads send heap-allocated messages through a bounded queue to two
 * consumer threads, which free them: every message is allocated on one thread and freed on
 * another. Expected (heaprr stats, glibc 2.36): 5 threads; 2000 mallocs of 32 to 144 bytes
 * (176000 bytes) for the messages and 2000 frees of them; the queue's calloc(1, 160) and its
 * free; glibc's own calloc(19, 16) for each thread it creates (kept with the cached thread
 * stacks, so 1216 bytes in 4 blocks show as leaked) and two free(NULL) from each exiting thread.
 * Nothing of the program's own leaks. Prints nothing. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define PRODUCERS 2
#define CONSUMERS 2
#define PER_PRODUCER 1000
#define QUEUE_CAP 16

struct msg {
    struct msg *next;
    unsigned producer, seq;
    size_t len;
    char text[];
};

struct queue {
    pthread_mutex_t lock;
    pthread_cond_t not_empty, not_full;
    struct msg *head, *tail;
    unsigned count, producers_left;
};

/* 8 payload sizes, 8 to 120 bytes: message blocks of 32 to 144 bytes. */
static size_t payload_len(unsigned seq)
{
    return 8 + 16 * (seq % 8);
}

static void queue_put(struct queue *q, struct msg *m)
{
    pthread_mutex_lock(&q->lock);
    while (q->count == QUEUE_CAP)
        pthread_cond_wait(&q->not_full, &q->lock);
    m->next = NULL;
    if (q->tail)
        q->tail->next = m;
    else
        q->head = m;
    q->tail = m;
    q->count++;
    pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->lock);
}

/* Returns the next message, or NULL once every producer is done and the queue is empty. */
static struct msg *queue_get(struct queue *q)
{
    pthread_mutex_lock(&q->lock);
    while (!q->count && q->producers_left)
        pthread_cond_wait(&q->not_empty, &q->lock);
    struct msg *m = q->head;
    if (m) {
        q->head = m->next;
        if (!q->head)
            q->tail = NULL;
        q->count--;
        pthread_cond_signal(&q->not_full);
    }
    pthread_mutex_unlock(&q->lock);
    return m;
}

static void producer_done(struct queue *q)
{
    pthread_mutex_lock(&q->lock);
    if (!--q->producers_left)
        pthread_cond_broadcast(&q->not_empty);
    pthread_mutex_unlock(&q->lock);
}

struct producer_arg {
    struct queue *q;
    unsigned id;
};

static void *producer(void *p)
{
    struct producer_arg *a = p;
    for (unsigned seq = 0; seq < PER_PRODUCER; seq++) {
        size_t len = payload_len(seq);
        struct msg *m = malloc(sizeof *m + len);
        if (!m)
            abort();
        m->producer = a->id;
        m->seq = seq;
        m->len = len;
        memset(m->text, 'a' + (int)(seq % 26), len - 1);
        m->text[len - 1] = '\0';
        queue_put(a->q, m);
    }
    producer_done(a->q);
    return NULL;
}

static void *consumer(void *p)
{
    struct queue *q = p;
    unsigned long checksum = 0;
    for (struct msg *m; (m = queue_get(q));) {
        checksum += m->seq + strlen(m->text);
        free(m);
    }
    return (void *)checksum;
}

int main(void)
{
    struct queue *q = calloc(1, sizeof *q);
    if (!q)
        return 1;
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->not_empty, NULL);
    pthread_cond_init(&q->not_full, NULL);
    q->producers_left = PRODUCERS;

    pthread_t prod[PRODUCERS], cons[CONSUMERS];
    struct producer_arg args[PRODUCERS];
    for (unsigned i = 0; i < CONSUMERS; i++)
        pthread_create(&cons[i], NULL, consumer, q);
    for (unsigned i = 0; i < PRODUCERS; i++) {
        args[i] = (struct producer_arg){q, i};
        pthread_create(&prod[i], NULL, producer, &args[i]);
    }
    for (unsigned i = 0; i < PRODUCERS; i++)
        pthread_join(prod[i], NULL);
    for (unsigned i = 0; i < CONSUMERS; i++)
        pthread_join(cons[i], NULL);

    pthread_cond_destroy(&q->not_full);
    pthread_cond_destroy(&q->not_empty);
    pthread_mutex_destroy(&q->lock);
    free(q);
    return 0;
}
