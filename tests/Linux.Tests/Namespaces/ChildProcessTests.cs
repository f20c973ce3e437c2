namespace RouterHost.Linux.Tests.Namespaces;

public sealed class ChildProcessTests
{
    [Fact]
    public void Run_feeds_the_standard_input_and_returns_the_exit_status_and_each_output_apart()
    {
        ExecResult result = ChildProcess.Run("sh", ["-c", "cat; echo oops >&2; exit 3"], "hello\n");

        Assert.Equal(3, result.ExitCode);
        Assert.Equal("hello\n", result.StdOut);
        Assert.Equal("oops\n", result.StdErr);
        Assert.Equal("sh -c cat; echo oops >&2; exit 3", result.CommandLine);
        Assert.Throws<InvalidOperationException>(() => result.EnsureSuccess());
    }

    [Fact]
    public void Run_without_standard_input_gives_the_program_an_empty_one()
    {
        ExecResult result = ChildProcess.Run("cat", []);

        Assert.True(result.Succeeded, result.StdErr);
        Assert.Equal(string.Empty, result.StdOut);
    }

    [Fact]
    public void Run_kills_a_program_still_running_at_the_timeout_and_throws_TimeoutException_naming_it()
    {
        var e = Assert.Throws<TimeoutException>(() => ChildProcess.Run("sleep", ["600"], timeout: TimeSpan.FromMilliseconds(100)));

        Assert.Contains("`sleep 600`", e.Message, StringComparison.Ordinal);
    }
}
