using RouterHost.Packets;

namespace RouterHost.Packets.Tests;

public class TokenBucketTests
{
    private sealed class ManualClock : TimeProvider
    {
        public long Now;

        public override long TimestampFrequency => 1_000_000;

        public override long GetTimestamp() => Now;
    }

    [Fact]
    public void A_full_bucket_grants_its_burst_then_refills_at_the_rate()
    {
        var clock = new ManualClock { Now = 5_000_000 };
        var bucket = new TokenBucket(ratePerSecond: 10, burst: 5, clock);
        Assert.Equal(5, Enumerable.Range(0, 20).Count(_ => bucket.TryAcquire()));

        clock.Now += 99_999;
        Assert.False(bucket.TryAcquire());
        clock.Now += 1;
        Assert.True(bucket.TryAcquire());
        Assert.False(bucket.TryAcquire());

        // A long pause refills to the burst, never beyond it.
        clock.Now += 10_000_000;
        Assert.Equal(5, Enumerable.Range(0, 20).Count(_ => bucket.TryAcquire()));
    }

    [Fact]
    public void Over_time_grants_follow_the_rate()
    {
        var bucket = new TokenBucket(ratePerSecond: 100, burst: 10, new ManualClock());
        int granted = 0;
        for (long t = 0; t < 10_000_000; t += 1000)
        {
            granted += bucket.TryAcquire(t) ? 1 : 0;
        }

        // 10 s at 100/s, plus the initial burst.
        Assert.InRange(granted, 1000, 1010);
    }

    [Fact]
    public void Concurrent_callers_never_get_more_than_the_burst()
    {
        var bucket = new TokenBucket(ratePerSecond: 1, burst: 50, new ManualClock { Now = 1 });
        int granted = 0;
        Parallel.For(0, 4, _ =>
        {
            for (int i = 0; i < 10000; i++)
            {
                if (bucket.TryAcquire(1))
                {
                    Interlocked.Increment(ref granted);
                }
            }
        });
        Assert.Equal(50, granted);
    }
}
