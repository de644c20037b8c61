/* The checkpoint stream's reader on live input: a pipe from a writer
 * still running, follow mode asked to stop, and reads interrupted by
 * signals or cut short. */
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stream_fixture.h"

/* A reader on a pipe returns each checkpoint as soon as its end-ckpt is
 * in, without waiting for more input (else this test hangs: alarm). */
static void test_live_pipe(void)
{
	int fd[2];
	struct traj_error err;
	if (pipe(fd)) {
		CHECK(0);
		return;
	}
	FILE *out = fdopen(fd[1], "w"), *in = fdopen(fd[0], "r");
	alarm(10);
	struct traj_writer *w = open_writer(out, TRAJ_ENC_PRED2, 16);
	struct traj_reader *r = stream_reader_open(in, "-", NULL, &err);
	int64_t shape[] = {100};
	for (int k = 0; k < 3; k++) {
		struct traj_tensor t;
		make_tensor(&t, "w", TRAJ_F32, 1, shape, k);
		CHECK(stream_write_begin(w, k, 1, NULL, &err) == 0);
		CHECK(stream_write_tensor(w, &t, &err) == 0);
		CHECK(stream_write_end(w, &err) == 0);
		if (k == 0)
			CHECK(stream_read_next(r, &err) == TRAJ_REC_RUN);
		CHECK(stream_read_next(r, &err) == TRAJ_REC_CKPT);
		const struct traj_tensor *got = stream_ckpt_find(stream_reader_ckpt(r), "w");
		CHECK(got && same_tensor(got, &t));
		CHECK(stream_ckpt_find(stream_reader_ckpt(r), "v") == NULL);
		tensor_free(&t);
	}
	CHECK(stream_writer_close(w, &err) == 0);
	fclose(out);
	CHECK(stream_read_next(r, &err) == TRAJ_REC_END);
	CHECK(stream_read_next(r, &err) == TRAJ_REC_EOF);
	alarm(0);
	stream_reader_free(r);
	fclose(in);
}

/* Asked to stop, a following reader ends cleanly even inside a
 * checkpoint, after handing out every complete one. */
static void test_follow_stop_is_a_clean_end(void)
{
	struct membuf m;
	struct traj_error err;
	static volatile sig_atomic_t stop = 1;
	mem_open(&m);
	write_stream(m.f, TRAJ_ENC_PRED2, 3, 3);
	mem_close(&m);
	int64_t ends[3];
	CHECK(ckpt_ends(m.buf, m.len, ends, 3) == 3);
	FILE *f = reader_file(m.buf, (size_t)(ends[1] + ends[2]) / 2);
	struct traj_reader *r = stream_reader_open(f, "-", NULL, &err);
	stream_reader_follow(r, &stop);
	int rc, n = 0;
	while ((rc = stream_read_next(r, &err)) > 0)
		n += rc == TRAJ_REC_CKPT;
	CHECK(rc == TRAJ_REC_EOF && n == 2);
	stream_reader_free(r);
	fclose(f);
	free(m.buf);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* A signal every millisecond (no SA_RESTART) while the stream trickles
 * through a pipe: reads interrupted by EINTR are retried, and short
 * reads are completed. */
static void test_eintr_and_short_reads(void)
{
	struct membuf m;
	struct seen want, got;
	mem_open(&m);
	write_stream(m.f, TRAJ_ENC_PRED2, 2, 4);
	mem_close(&m);
	read_buf(m.buf, m.len, &want);
	int fd[2];
	CHECK(pipe(fd) == 0);
	pid_t child = fork();
	if (child == 0) {
		close(fd[0]);
		for (size_t i = 0; i < m.len; i += 333) {
			size_t k = m.len - i < 333 ? m.len - i : 333;
			if (write(fd[1], m.buf + i, k) != (ssize_t)k)
				_exit(1);
			usleep(200);
		}
		_exit(0);
	}
	close(fd[1]);
	struct sigaction sa, old;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, &old);
	struct itimerval tick = {{0, 1000}, {0, 1000}}, off = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &tick, NULL);
	FILE *in = fdopen(fd[0], "r");
	read_all(in, NULL, &got);
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
	fclose(in);
	waitpid(child, NULL, 0);
	CHECK(got.rc == TRAJ_REC_EOF && got.nckpt == want.nckpt);
	for (int k = 0; k < got.nckpt && k < want.nckpt; k++)
		CHECK(same_ckpt(&got, &want, k));
	if (got.rc != TRAJ_REC_EOF)
		printf("#   %s\n", got.err.msg);
	seen_free(&want);
	seen_free(&got);
	free(m.buf);
}

int main(void)
{
	signal(SIGALRM, SIG_DFL);
	RUN(test_live_pipe);
	RUN(test_follow_stop_is_a_clean_end);
	RUN(test_eintr_and_short_reads);
	return harness_done();
}
