import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.ServerVersion;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import java.util.concurrent.CountDownLatch;

/**
 * Starts mongo-java-server (memory backend, oplog enabled for change streams) on a host and port
 * and runs until SIGTERM. Prints "listening on HOST:PORT" once it accepts connections.
 *
 * <p>Usage: {@code java -cp 'lib/*:classes' LocksMongoJavaServer [host] [port]} (defaults
 * 127.0.0.1 and 27017; the container image passes 0.0.0.0).
 */
public final class LocksMongoJavaServer {
  public static void main(String[] args) throws InterruptedException {
    String host = args.length > 0 ? args[0] : "127.0.0.1";
    int port = args.length > 1 ? Integer.parseInt(args[1]) : 27017;
    MemoryBackend backend = new MemoryBackend();
    backend.version(ServerVersion.MONGO_5_0);
    MongoServer server = new MongoServer(backend);
    // Without the oplog the server refuses $changeStream.
    server.enableOplog();
    server.bind(host, port);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.shutdownNow();
                  stopped.countDown();
                }));
    System.out.println("listening on " + host + ":" + port);
    System.out.flush();
    stopped.await();
  }
}
