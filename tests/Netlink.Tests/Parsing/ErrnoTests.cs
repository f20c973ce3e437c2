namespace RouterHost.Netlink.Tests.Parsing;

/// <summary>Netlink errors name the errno through RouterHost.Linux's table (its own tests are in Linux.Tests).</summary>
public sealed class ErrnoTests
{
    [Fact]
    public void An_errno_exception_states_operation_name_number_and_description()
    {
        var error = new NetlinkException("adding address 10.0.0.1/24 to tun0 (ifindex 7)", 17);

        Assert.Equal("adding address 10.0.0.1/24 to tun0 (ifindex 7) failed: EEXIST (17): File exists", error.Message);
        Assert.Equal(17, error.Errno);
        Assert.Equal("EEXIST", error.ErrnoName);
        Assert.Null(error.KernelMessage);
    }

    [Fact]
    public void A_kernel_only_errno_is_named_too()
    {
        var error = new NetlinkException("setting an offload", 524);

        Assert.Equal("ENOTSUPP", error.ErrnoName);
        Assert.StartsWith("setting an offload failed: ENOTSUPP (524): ", error.Message, StringComparison.Ordinal);
    }
}
