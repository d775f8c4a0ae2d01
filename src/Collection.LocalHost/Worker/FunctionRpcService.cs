using Collection.LocalHost.Rpc;
using Grpc.Core;

namespace Collection.LocalHost.Worker;

/// <summary>
/// The gRPC service the worker dials (<c>--functions-uri</c>): its first message names the worker
/// (<c>StartStream</c>); the stream then belongs to the supervisor that started that worker.
/// </summary>
internal sealed class FunctionRpcService(WorkerSupervisor supervisor, ILoggerFactory loggers) : FunctionRpc.FunctionRpcBase
{
    public override async Task EventStream(IAsyncStreamReader<StreamingMessage> requestStream, IServerStreamWriter<StreamingMessage> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        ArgumentNullException.ThrowIfNull(context);
        if (!await requestStream.MoveNext(context.CancellationToken).ConfigureAwait(false)
            || requestStream.Current.ContentCase != StreamingMessage.ContentOneofCase.StartStream)
        {
            return;
        }

        using var connection = new WorkerConnection(requestStream.Current.StartStream.WorkerId, loggers);
        if (!supervisor.Accept(connection))
        {
            return;
        }

        await connection.RunAsync(requestStream, responseStream, context.CancellationToken).ConfigureAwait(false);
    }
}
