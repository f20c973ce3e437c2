using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using FsCheck;
using FsCheck.Fluent;
using RouterHost.Underlay.Internal;

namespace RouterHost.Underlay.Tests;

/// <summary>Reading the kernel's tables of UDP sockets (/proc/net/udp, udp6): who is bound to a port.</summary>
public sealed class UdpSocketTableTests
{
    // Lines as Linux 6.18 wrote them (a socket on 127.0.0.1:40124 and one on [::1]:40123).
    private const string V4Line = "16094: 0100007F:9CBC 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 98667 2 000000008e9fce11 0         ";
    private const string V6Line = "16093: 00000000000000000000000001000000:9CBB 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 98666 2 00000000b1d943e3 0";

    [Fact]
    public void A_line_of_each_table_gives_the_local_endpoint_the_uid_and_the_inode()
    {
        Assert.SkipUnless(BitConverter.IsLittleEndian, "the sample lines were written by a little-endian kernel");
        Assert.True(UdpSocketTable.TryParseLine(V4Line, out UdpSocketEntry v4));
        Assert.Equal(new UdpSocketEntry(UdpEndpoint.Create(IPAddress.Loopback, 40124), 0, 98667), v4);
        Assert.True(UdpSocketTable.TryParseLine(V6Line, out UdpSocketEntry v6));
        Assert.Equal(new UdpSocketEntry(UdpEndpoint.Create(IPAddress.IPv6Loopback, 40123), 0, 98666), v6);
        Assert.True(UdpSocketTable.TryParseLine("  102: 00000000:CA6C 00000000:0000 07 00000000:00000000 00:00000000 00000000  1000        0 53521 2 0000000000000000 0", out UdpSocketEntry padded));
        Assert.Equal(new UdpSocketEntry(UdpEndpoint.Create(IPAddress.Any, 0xCA6C), 1000, 53521), padded);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops")]
    [InlineData("16094: 0100007F:9CBC 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0")] // no inode
    [InlineData("16094 0100007F:9CBC 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 98667 2 0 0")] // no colon after the slot
    [InlineData("x: 0100007F:9CBC 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 98667 2 0 0")]
    [InlineData("1: 0100007:9CBC 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 98667 2 0 0")] // 7 address digits
    [InlineData("1: 0100007F0:9CBC 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 98667 2 0 0")] // 9
    [InlineData("1: 0100007G:9CBC 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 98667 2 0 0")] // not hex
    [InlineData("1: 0100007F:9CB 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 98667 2 0 0")] // 3 port digits
    [InlineData("1: 0100007F:9CBCD 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 98667 2 0 0")]
    [InlineData("1: 0100007F9CBC 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 98667 2 0 0")] // no port
    [InlineData("1: 0100007F:9CBC 00000000:0000 07 00000000:00000000 00:00000000 00000000    -1        0 98667 2 0 0")] // negative uid
    [InlineData("1: 0100007F:9CBC 00000000:0000 07 00000000:00000000 00:00000000 00000000  4294967296   0 98667 2 0 0")] // uid past 32 bits
    [InlineData("1: 0100007F:9CBC 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 +98667 2 0 0")]
    [InlineData("1: 0100007F:9CBC 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 18446744073709551616 2 0 0")]
    public void A_malformed_line_is_skipped(string line)
    {
        Assert.False(UdpSocketTable.TryParseLine(line, out UdpSocketEntry entry));
        Assert.Equal(default, entry);
    }

    [Fact]
    public void Any_text_parses_or_is_refused_without_throwing()
    {
        Gen<string> gen = Gen.OneOf(
            ArbMap.Default.GeneratorFor<string>().Where(s => s is not null),
            Gen.Elements(V4Line, V6Line).SelectMany(s => Gen.Choose(0, s.Length).Select(n => s[..n])),
            Gen.Elements(V4Line, V6Line).SelectMany(s => Gen.Choose(0, s.Length - 1).SelectMany(i => Gen.Elements(' ', ':', '0', 'F', 'z', '-', '\t').Select(c =>
            {
                char[] copy = s.ToCharArray();
                copy[i] = c;
                return new string(copy);
            }))));
        Prop.ForAll(gen.ToArbitrary(), text =>
        {
            if (UdpSocketTable.TryParseLine(text, out UdpSocketEntry entry))
            {
                Assert.False(entry.Local.IsNone);
            }

            return true;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Every_endpoint_uid_and_inode_the_kernel_could_write_reads_back()
    {
        Gen<(byte[] Address, ushort Port, uint Uid, ulong Inode)> gen =
            from v6 in ArbMap.Default.GeneratorFor<bool>()
            from address in Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), v6 ? 16 : 4)
            from port in Gen.Choose(0, 65535)
            from uid in ArbMap.Default.GeneratorFor<uint>()
            from inode in ArbMap.Default.GeneratorFor<ulong>()
            select (address, (ushort)port, uid, inode);
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            string line = KernelLine(t.Address, t.Port, t.Uid, t.Inode);
            Assert.True(UdpSocketTable.TryParseLine(line, out UdpSocketEntry entry), line);
            Assert.Equal(UdpEndpoint.Create(new IPAddress(t.Address), t.Port), entry.Local);
            Assert.Equal(t.Uid, entry.Uid);
            Assert.Equal(t.Inode, entry.Inode);
            return true;
        }).QuickCheckThrowOnFailure();
    }

    [Theory]
    [InlineData("0.0.0.0", "10.0.0.1", true)]
    [InlineData("10.0.0.1", "0.0.0.0", true)]
    [InlineData("10.0.0.1", "10.0.0.1", true)]
    [InlineData("10.0.0.1", "10.0.0.2", false)]
    [InlineData("::", "fd00::1", true)]
    [InlineData("fd00::1", "fd00::2", false)]
    [InlineData("::", "0.0.0.0", false)]
    [InlineData("0.0.0.0", "::", false)]
    [InlineData("fd00::1", "10.0.0.1", false)]
    public void A_socket_overlaps_a_bind_of_its_family_on_the_same_port_with_the_same_or_an_unspecified_address(string bound, string wanted, bool overlaps)
    {
        Assert.Equal(overlaps, UdpSocketTable.Overlaps(UdpEndpoint.Create(IPAddress.Parse(bound), 51820), UdpEndpoint.Create(IPAddress.Parse(wanted), 51820)));
        Assert.False(UdpSocketTable.Overlaps(UdpEndpoint.Create(IPAddress.Parse(bound), 51820), UdpEndpoint.Create(IPAddress.Parse(wanted), 51821)));
    }

    [Theory]
    [InlineData("::", "10.0.0.1", true)]
    [InlineData("0.0.0.0", "fd00::1", true)]
    [InlineData("fd00::1", "10.0.0.1", false)]
    [InlineData("::", "fd00::1", false)] // the same family is Overlaps' question
    public void Across_families_only_an_unspecified_address_may_be_in_the_way(string bound, string wanted, bool may)
    {
        Assert.Equal(may, UdpSocketTable.MayOverlapAcrossFamilies(UdpEndpoint.Create(IPAddress.Parse(bound), 51820), UdpEndpoint.Create(IPAddress.Parse(wanted), 51820)));
    }

    [Fact]
    public void The_table_lists_a_socket_this_process_opened_under_the_inode_of_its_fd()
    {
        using UdpSocket socket = UdpSocket.Open(new UdpSocketOptions(IPAddress.Loopback) { Gro = false });
        ulong inode = UdpPortHolders.InodeOf(socket.Handle);
        Assert.NotEqual(0UL, inode);
        UdpSocketEntry entry = Assert.Single(UdpSocketTable.Read(), e => e.Inode == inode);
        Assert.Equal(socket.LocalEndpoint, entry.Local);
    }

    [Theory]
    [InlineData("socket:[98667]", true, 98667UL)]
    [InlineData("socket:[]", false, 0UL)]
    [InlineData("socket:[-1]", false, 0UL)]
    [InlineData("pipe:[98667]", false, 0UL)]
    [InlineData("socket:[98667", false, 0UL)]
    [InlineData("/dev/null", false, 0UL)]
    [InlineData(null, false, 0UL)]
    public void A_socket_link_gives_its_inode_and_anything_else_is_refused(string? link, bool parsed, ulong inode)
    {
        Assert.Equal(parsed, UdpPortHolders.TryParseSocketLink(link, out ulong read));
        Assert.Equal(inode, read);
    }

    // As udp4_format_sock / __udp6_seq_show print it: each address word as the CPU reads it, %08X; the port %04X.
    private static string KernelLine(byte[] address, ushort port, uint uid, ulong inode)
    {
        var local = new System.Text.StringBuilder();
        for (int i = 0; i < address.Length; i += 4)
        {
            uint word = BitConverter.IsLittleEndian ? BinaryPrimitives.ReadUInt32LittleEndian(address.AsSpan(i)) : BinaryPrimitives.ReadUInt32BigEndian(address.AsSpan(i));
            local.Append(word.ToString("X8", CultureInfo.InvariantCulture));
        }

        string zero = new('0', address.Length * 2);
        return string.Create(CultureInfo.InvariantCulture, $"{7:D5}: {local}:{port:X4} {zero}:0000 07 00000000:00000000 00:00000000 00000000 {uid,5} {0,8} {inode} 2 0000000000000000 0");
    }
}
