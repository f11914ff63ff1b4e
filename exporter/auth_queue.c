/* See auth_queue.h. A fixed ring of AUTH_QUEUE_MAX slots under one mutex. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "auth_queue.h"
#include "xalloc.h"

struct slot {
	struct auth_job job;
	unsigned char client[AUTH_CLIENT_MAX];
	size_t client_len;
	void (*done)(void *arg, bool ok);
	void *arg;
};

struct auth_queue {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct slot slots[AUTH_QUEUE_MAX]; /* ring: head is the job running or next to run */
	size_t head, n;
	bool stop;
};

/* Jobs of this client waiting or running. Under q->lock. */
static size_t
client_jobs(const struct auth_queue *q, const unsigned char *client, size_t len)
{
	size_t k = 0;

	for (size_t i = 0; i < q->n; i++) {
		const struct slot *s = &q->slots[(q->head + i) % AUTH_QUEUE_MAX];
		k += s->client_len == len && memcmp(s->client, client, len) == 0;
	}
	return k;
}

static void *
run(void *arg)
{
	struct auth_queue *q = arg;

	(void)pthread_mutex_lock(&q->lock);
	for (;;) {
		while (q->n == 0 && !q->stop)
			(void)pthread_cond_wait(&q->wake, &q->lock);
		if (q->n == 0)
			break;
		/* The slot stays counted while bcrypt runs, so the bounds include it. */
		struct slot s = q->slots[q->head];
		bool stop = q->stop;
		(void)pthread_mutex_unlock(&q->lock);
		bool ok = !stop && auth_verify(&s.job);
		auth_job_clear(&s.job);
		/* Free the slot before calling back: the callback may let the same client send
		 * its next request, which must find room. */
		(void)pthread_mutex_lock(&q->lock);
		memset(&q->slots[q->head], 0, sizeof(q->slots[q->head]));
		q->head = (q->head + 1) % AUTH_QUEUE_MAX;
		q->n--;
		(void)pthread_mutex_unlock(&q->lock);
		s.done(s.arg, ok);
		(void)pthread_mutex_lock(&q->lock);
	}
	(void)pthread_mutex_unlock(&q->lock);
	return NULL;
}

struct auth_queue *
auth_queue_new(void)
{
	struct auth_queue *q = xcalloc(1, sizeof(*q));

	(void)pthread_mutex_init(&q->lock, NULL);
	(void)pthread_cond_init(&q->wake, NULL);
	if (pthread_create(&q->thread, NULL, run, q) != 0) {
		(void)pthread_cond_destroy(&q->wake);
		(void)pthread_mutex_destroy(&q->lock);
		free(q);
		return NULL;
	}
	return q;
}

int
auth_queue_push(struct auth_queue *q, struct auth_job *job, const void *client,
		size_t client_len, void (*done)(void *arg, bool ok), void *arg)
{
	int r = 0;

	if (client_len > AUTH_CLIENT_MAX)
		client_len = AUTH_CLIENT_MAX;
	(void)pthread_mutex_lock(&q->lock);
	if (q->stop) {
		r = -ECANCELED;
	} else if (q->n == AUTH_QUEUE_MAX) {
		r = -EBUSY;
	} else if (client_jobs(q, client, client_len) >= AUTH_QUEUE_PER_CLIENT) {
		r = -EAGAIN;
	} else {
		struct slot *s = &q->slots[(q->head + q->n) % AUTH_QUEUE_MAX];
		s->job = *job;
		memset(job, 0, sizeof(*job));
		memcpy(s->client, client, client_len);
		s->client_len = client_len;
		s->done = done;
		s->arg = arg;
		q->n++;
		(void)pthread_cond_signal(&q->wake);
	}
	(void)pthread_mutex_unlock(&q->lock);
	return r;
}

void
auth_queue_free(struct auth_queue *q)
{
	if (q == NULL)
		return;
	(void)pthread_mutex_lock(&q->lock);
	q->stop = true;
	(void)pthread_cond_signal(&q->wake);
	(void)pthread_mutex_unlock(&q->lock);
	(void)pthread_join(q->thread, NULL);
	(void)pthread_cond_destroy(&q->wake);
	(void)pthread_mutex_destroy(&q->lock);
	free(q);
}
