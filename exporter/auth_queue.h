/* The thread that runs bcrypt for basic authentication (auth.h), so that the HTTP event loops
 * never wait for it: a request whose credentials are not in the cache is suspended while its job
 * waits here. The queue is bounded in total and per client address, so clients guessing
 * passwords cannot make it long, and a scraper from another address gets its turn within a few
 * bcrypt runs. */
#ifndef EXPORTER_AUTH_QUEUE_H
#define EXPORTER_AUTH_QUEUE_H

#include <stdbool.h>
#include <stddef.h>

#include "auth.h"

#define AUTH_QUEUE_MAX 16       /* jobs waiting or running */
#define AUTH_QUEUE_PER_CLIENT 2 /* of them from one client address */
#define AUTH_CLIENT_MAX 16      /* bytes of a client address that are compared (IPv6) */

struct auth_queue;

/* Starts the thread. Returns NULL when it cannot be started. Freed with auth_queue_free(). */
struct auth_queue *auth_queue_new(void);

/* Queues job (its strings are taken over; *job is zeroed) for the client whose address is the
 * first client_len (<= AUTH_CLIENT_MAX) bytes of client. done(arg, ok) is called once, on the
 * queue's thread, with the result, after the job has left the queue (so done may push again).
 * Returns 0; -EAGAIN when the client has AUTH_QUEUE_PER_CLIENT
 * jobs queued already, -EBUSY when AUTH_QUEUE_MAX are, -ECANCELED once auth_queue_free() has
 * begun: then *job stays the caller's and done is not called. */
int auth_queue_push(struct auth_queue *q, struct auth_job *job, const void *client,
		    size_t client_len, void (*done)(void *arg, bool ok), void *arg);

/* Stops the thread after the job it is running; jobs still waiting are called back refused,
 * without bcrypt. NULL-safe. */
void auth_queue_free(struct auth_queue *q);

#endif
