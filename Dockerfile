# syntax=docker/dockerfile:1
# The hero-logic operator image, built from source:
#   docker build -t hero-logic-operator:0.1.0 .
# Stage 1 builds the Quarkus fast-jar with Maven; stage 2 runs it on a JRE as a non-root user.
ARG MAVEN_IMAGE=maven:3.9-eclipse-temurin-17
ARG RUNTIME_IMAGE=eclipse-temurin:17-jre

FROM ${MAVEN_IMAGE} AS build
WORKDIR /src
COPY pom.xml ./
COPY operator/pom.xml operator/
COPY operator/model/pom.xml operator/model/
COPY operator/test-support/pom.xml operator/test-support/
COPY operator/model/src operator/model/src
COPY operator/test-support/src operator/test-support/src
COPY operator/src operator/src
# The build copies the Python SDK and the built-in flows into the jar (the operator publishes them
# as ConfigMaps), so they are part of the build context.
COPY flows/herologic flows/herologic
COPY flows/builtin flows/builtin
# The Maven repository lives in a BuildKit cache mount: rebuilds download nothing they already have.
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -ntp -pl operator -am package -DskipTests

FROM ${RUNTIME_IMAGE}
# A fixed numeric uid, so Kubernetes can enforce runAsNonRoot; gid 0 for platforms that run
# containers under an arbitrary uid in group 0. The files stay root-owned: the operator only reads them.
RUN useradd --no-log-init --uid 10001 --gid 0 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin herologic
WORKDIR /app
# The quarkus-app layout, dependencies first (they change least).
COPY --from=build /src/operator/target/quarkus-app/lib/ /app/lib/
COPY --from=build /src/operator/target/quarkus-app/*.jar /app/
COPY --from=build /src/operator/target/quarkus-app/app/ /app/app/
COPY --from=build /src/operator/target/quarkus-app/quarkus/ /app/quarkus/
USER 10001:0
# The web UI and JSON API, /q/health/live, /q/health/ready and /q/metrics.
EXPOSE 8080
# The same JVM settings as the Helm chart's javaToolOptions (helm/hero-logic/values.yaml says why and
# what was measured); the chart sets JAVA_TOOL_OPTIONS itself, this is for a plain `docker run -m`.
ENV JAVA_TOOL_OPTIONS="-XX:+UseSerialGC -XX:MaxRAMPercentage=60.0 -XX:MaxMetaspaceSize=192m -XX:ReservedCodeCacheSize=96m"
ENTRYPOINT ["java", "-jar", "/app/quarkus-run.jar"]
