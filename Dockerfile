# psa-connector: one image, two roles (worker and admin API), chosen by the command.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund || npm install --no-audit --no-fund
COPY . .
# Pre-bundle the workflow code so worker start-up does not run webpack.
RUN npx tsc -p tsconfig.build.json && node dist/worker/bundle.js dist/workflow-bundle.js

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN (npm ci --omit=dev --no-audit --no-fund || npm install --omit=dev --no-audit --no-fund) && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
CMD ["node", "dist/worker/main.js"]
