using RouterHost.Pipeline;

namespace RouterHost.Tests.Pipeline;

/// <summary>
/// The runner's lane plan, computed from queue numbers alone: one lane per interface queue then per stage source,
/// queues paired by index modulo count, a lane's own interface written from self, shared queues gated, CPUs by lane.
/// </summary>
public sealed class LanePlanTests
{
    [Fact]
    public void Every_interface_queue_then_every_stage_source_gets_a_lane_numbered_in_that_order()
    {
        LanePlan plan = LanePlan.Compute([[0, 1], [0]], [(2, 0), (2, 1)]);

        Assert.Equal(5, plan.Lanes.Count);
        Assert.Equal(new[] { 0, 1, 2, 3, 4 }, plan.Lanes.Select(l => l.Number));
        Assert.Equal(new[] { (0, 0), (0, 1), (1, 0) }, plan.Lanes.Take(3).Select(l => (l.Interface, l.Queue)));
        Assert.All(plan.Lanes.Take(3), l => Assert.False(l.IsStageSource));
        Assert.Equal(new[] { (2, 0), (2, 1) }, plan.Lanes.Skip(3).Select(l => (l.Stage, l.Source)));
        Assert.All(plan.Lanes.Skip(3), l => Assert.True(l.IsStageSource));
    }

    [Fact]
    public void Equal_queue_counts_pair_queues_one_to_one_and_need_no_gate()
    {
        LanePlan plan = LanePlan.Compute([[0, 1], [0, 1]], []);

        Assert.Equal(new LaneEgress(0, IsSelf: true), plan.Lanes[0].Egress[0]);
        Assert.Equal(new LaneEgress(0, IsSelf: false), plan.Lanes[0].Egress[1]);
        Assert.Equal(new LaneEgress(1, IsSelf: false), plan.Lanes[1].Egress[1]);
        Assert.Equal(new LaneEgress(1, IsSelf: false), plan.Lanes[3].Egress[0]);
        Assert.Equal(new LaneEgress(1, IsSelf: true), plan.Lanes[3].Egress[1]);
        for (int e = 0; e < 2; e++)
        {
            for (int q = 0; q < 2; q++)
            {
                Assert.False(plan.IsShared(e, q));
            }
        }
    }

    [Fact]
    public void A_queue_written_by_more_than_one_lane_is_shared_but_writes_from_self_do_not_count()
    {
        // Two queues of a write to the one queue of b; b's lane writes to a's queue 0 only.
        LanePlan plan = LanePlan.Compute([[0, 1], [0]], []);

        Assert.True(plan.IsShared(1, 0));
        Assert.False(plan.IsShared(0, 0));
        Assert.False(plan.IsShared(0, 1));
        Assert.Equal(new LaneEgress(0, IsSelf: false), plan.Lanes[1].Egress[1]);
    }

    [Fact]
    public void Stage_sources_write_to_every_interface_by_their_queue_index_and_count_as_writers()
    {
        LanePlan plan = LanePlan.Compute([[0, 1], [0, 1, 2]], [(1, 0), (1, 1), (1, 2)]);

        PlannedLane third = plan.Lanes[^1];
        Assert.Equal(new LaneEgress(0, IsSelf: false), third.Egress[0]); // 2 % 2
        Assert.Equal(new LaneEgress(2, IsSelf: false), third.Egress[1]);

        // a's queue 0: b's lanes 0 and 2 and sources 0 and 2; b's queue 2: source 2 only (a's lanes write to 0 and 1).
        Assert.True(plan.IsShared(0, 0));
        Assert.False(plan.IsShared(1, 2));
        Assert.True(plan.IsShared(1, 0));
    }

    [Fact]
    public void Queue_indices_not_positions_choose_the_queue_written_to()
    {
        // A container whose queues are numbered 4 and 5: queue 5 writes to b's queue 5 % 2 = 1.
        LanePlan plan = LanePlan.Compute([[4, 5], [0, 1]], []);
        Assert.Equal(new LaneEgress(0, IsSelf: false), plan.Lanes[0].Egress[1]);
        Assert.Equal(new LaneEgress(1, IsSelf: false), plan.Lanes[1].Egress[1]);
        Assert.Equal(new LaneEgress(1, IsSelf: true), plan.Lanes[1].Egress[0]);
    }

    [Fact]
    public void Cpus_are_given_round_robin_by_lane_and_none_without_a_list()
    {
        LanePlan pinned = LanePlan.Compute([[0, 1], [0]], [(1, 0)], [3, 0]);
        Assert.Equal(new int?[] { 3, 0, 3, 0 }, pinned.Lanes.Select(l => l.Cpu));

        Assert.All(LanePlan.Compute([[0]], [], []).Lanes, l => Assert.Null(l.Cpu));
        Assert.All(LanePlan.Compute([[0]], [], null).Lanes, l => Assert.Null(l.Cpu));
    }

    [Fact]
    public void An_interface_without_queues_is_refused()
    {
        Assert.Throws<ArgumentException>(() => LanePlan.Compute([[0], []], []));
    }
}
