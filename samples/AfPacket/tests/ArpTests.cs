using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;

namespace RouterHost.Samples.AfPacket.Tests;

public sealed class ArpTests
{
    [Fact]
    public void A_written_request_parses_back()
    {
        var frame = new byte[Ethernet.HeaderLength + Arp.Length];
        int length = Arp.WriteRequest(frame, Frames.RouterMac, 0x0A010001, 0x0A010002);

        Assert.Equal(42, length);
        Assert.Equal(Ethernet.Broadcast, Ethernet.ReadMac(frame));
        Assert.Equal(Ethernet.TypeArp, BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12)));
        Assert.True(Arp.TryParse(frame.AsSpan(Ethernet.HeaderLength), out ArpMessage message));
        Assert.Equal(new ArpMessage(Arp.Request, Frames.RouterMac, 0x0A010001, 0, 0x0A010002), message);
    }

    public static TheoryData<int, byte> Corruptions() => new()
    {
        { 1, 6 },    // hardware type 6 (IEEE 802)
        { 2, 0x86 }, // protocol type 0x86xx
        { 4, 8 },    // hardware address length 8
        { 5, 16 },   // protocol address length 16
        { 7, 3 },    // operation 3 (RARP request)
        { 8, 0x01 }, // sender MAC with the group bit
    };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void Messages_that_are_not_Ethernet_IPv4_requests_or_replies_are_refused(int offset, byte value)
    {
        byte[] arp = Valid();
        arp[offset] = value;

        Assert.False(Arp.TryParse(arp, out _));
    }

    [Fact]
    public void A_truncated_message_or_a_zero_sender_MAC_is_refused()
    {
        Assert.False(Arp.TryParse(Valid().AsSpan(0, 27), out _));
        Assert.False(Arp.TryParse([], out _));
        byte[] zero = Valid();
        zero.AsSpan(8, 6).Clear();
        Assert.False(Arp.TryParse(zero, out _));
    }

    [Fact]
    public void Any_bytes_parse_without_throwing_and_what_parses_is_what_the_bytes_say()
    {
        Gen<byte[]> input = Gen.OneOf(
            Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b)),
            Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), 20).Select(tail =>
            {
                byte[] arp = Valid();
                tail.AsSpan(0, 20).CopyTo(arp.AsSpan(8));
                return arp;
            }));

        Prop.ForAll(input.ToArbitrary(), bytes =>
        {
            if (!Arp.TryParse(bytes, out ArpMessage m))
            {
                return true;
            }

            return bytes.Length >= Arp.Length
                && m.Operation is Arp.Request or Arp.Reply
                && m.SenderMac == Ethernet.ReadMac(bytes.AsSpan(8))
                && !Ethernet.IsGroup(m.SenderMac)
                && m.SenderIp == BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(14))
                && m.TargetIp == BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(24));
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Requests_for_any_addresses_round_trip()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<uint>(), ArbMap.Default.ArbFor<uint>(), (sender, target) =>
        {
            var frame = new byte[42];
            Arp.WriteRequest(frame, Frames.RouterMac, sender, target);
            return Arp.TryParse(frame.AsSpan(14), out ArpMessage m) && m.SenderIp == sender && m.TargetIp == target && m.SenderMac == Frames.RouterMac;
        }).QuickCheckThrowOnFailure();
    }

    private static byte[] Valid()
    {
        var frame = new byte[42];
        Arp.WriteRequest(frame, Frames.HostMac, 0x0A010002, 0x0A010001);
        return frame[14..];
    }
}
