#!/bin/sh
# mongo-java-server (memory backend, oplog on for change streams) on every interface of the
# container, port 27017. The launcher prints "listening on …" once it accepts connections.
set -e
exec /opt/java/bin/java -Xms32m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
  -cp '/opt/mongo-java-server/lib/*:/opt/mongo-java-server/classes' \
  LocksMongoJavaServer 0.0.0.0 27017
