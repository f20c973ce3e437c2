using static RouterHost.Linux.Interop.Libc;

namespace RouterHost.Linux;

/// <summary>
/// A queue reader's wait for input: <c>poll</c> on its descriptor and its close eventfd together (and an optional
/// timeout), retrying <c>EINTR</c>. Allocation-free and without exceptions once its arguments are valid: what
/// happened comes back as a <see cref="Readiness"/>, and the caller decides what a closed, failed or broken
/// descriptor means for it (the wording of its errors, what counts as readable).
/// </summary>
public static unsafe class ReadinessWait
{
    /// <summary>The timeout that waits for as long as it takes.</summary>
    public const int Infinite = -1;

    /// <summary>
    /// Blocks until <paramref name="fd"/> is readable, <paramref name="closed"/> is signalled, or
    /// <paramref name="timeoutMilliseconds"/> pass (<see cref="Infinite"/>: no timeout). An interrupted
    /// <c>poll</c> is retried with the whole timeout again. The descriptor numbers are read without taking a
    /// reference, as each queue's own poll did: a descriptor closed under its reader shows as
    /// <see cref="ReadinessOutcome.Error"/> with <c>POLLNVAL</c>.
    /// </summary>
    public static Readiness Wait(SafeFileDescriptor fd, EventFd closed, int timeoutMilliseconds)
    {
        ArgumentNullException.ThrowIfNull(fd);
        ArgumentNullException.ThrowIfNull(closed);
        pollfd* fds = stackalloc pollfd[2];
        while (true)
        {
            fds[0] = new pollfd { fd = fd.Fd, events = POLLIN };
            fds[1] = new pollfd { fd = closed.Handle.Fd, events = POLLIN };
            int ready = poll(fds, 2, timeoutMilliseconds);
            if (ready < 0)
            {
                int errno = Errno.Last;
                if (errno == Errno.EINTR)
                {
                    continue;
                }

                return new Readiness(ReadinessOutcome.Failed, 0, errno);
            }

            if (fds[1].revents != 0)
            {
                return new Readiness(ReadinessOutcome.Closed, 0, 0);
            }

            short revents = fds[0].revents;
            if ((revents & POLLIN) != 0)
            {
                return new Readiness(ReadinessOutcome.Readable, revents, 0);
            }

            if ((revents & (POLLERR | POLLHUP | POLLNVAL)) != 0)
            {
                return new Readiness(ReadinessOutcome.Error, revents, 0);
            }

            if (ready == 0)
            {
                return new Readiness(ReadinessOutcome.TimedOut, 0, 0);
            }

            // Ready but with no event asked about (the kernel reports none such): poll again.
        }
    }
}
